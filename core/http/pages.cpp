#include "http/pages.h"

#include <kainjow/mustache.hpp>

namespace linkgate::http {
namespace {

namespace mustache = kainjow::mustache;

constexpr const char* kLayout = R"HTML(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{{title}}</title>
<style nonce="{{nonce}}">
:root { --accent: {{accent}}; color-scheme: light dark; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; padding: 24px;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  background: #f6f7f9; color: #111827; }
@media (prefers-color-scheme: dark) { body { background: #0f172a; color: #e5e7eb; }
  main { background: #1e293b !important; } input { background: #0f172a; color: #e5e7eb; } }
main { width: 100%; max-width: 400px; background: #fff; border-radius: 12px; padding: 32px;
  box-shadow: 0 1px 3px rgba(0,0,0,.1); }
h1 { font-size: 1.375rem; margin: 0 0 .75rem; }
p { margin: 0 0 1rem; }
.logo { max-height: 40px; margin-bottom: 1rem; }
label { display: block; font-weight: 600; margin-bottom: .375rem; }
input { width: 100%; font: inherit; padding: .625rem .75rem; border: 1px solid #9ca3af; border-radius: 8px; }
input:focus-visible, button:focus-visible, a:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.code { letter-spacing: .5em; font-size: 1.5rem; text-align: center; }
button { width: 100%; margin-top: 1rem; font: inherit; font-weight: 600; padding: .75rem; border: 0;
  border-radius: 8px; background: var(--accent); color: #fff; cursor: pointer; }
.muted { color: #6b7280; font-size: .875rem; margin-top: 1.25rem; }
.error { color: #b91c1c; font-weight: 600; }
a { color: var(--accent); }
</style>
</head>
<body>
<main>
{{#logo_url}}<img class="logo" src="{{logo_url}}" alt="">{{/logo_url}}
{{{body}}}
</main>
{{#script}}<script nonce="{{nonce}}">{{{script}}}</script>{{/script}}
</body>
</html>
)HTML";

// kainjow treats an empty string as true in a {{#section}}: optional values are set only when
// present, so an empty logo or error renders nothing.
void set_optional(mustache::data& d, const std::string& key, const std::string& value) {
  if (!value.empty()) d.set(key, value);
}

std::string layout(const PageContext& page, const std::string& body,
                   const std::string& script = "") {
  mustache::data d;
  d.set("title", page.branding.title);
  d.set("accent", page.branding.accent);
  set_optional(d, "logo_url", page.branding.logo_url);
  d.set("nonce", page.nonce);
  d.set("body", body);
  set_optional(d, "script", script);
  return mustache::mustache(kLayout).render(d);
}

std::string render(const char* tmpl, const mustache::data& d) {
  return mustache::mustache(tmpl).render(d);
}

}  // namespace

std::string content_security_policy(const std::string& nonce) {
  return "default-src 'none'; style-src 'nonce-" + nonce + "'; script-src 'nonce-" + nonce +
         "'; img-src https: data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";
}

std::string sign_in_page(const PageContext& page, const std::string& redirect_uri,
                         const std::string& error) {
  mustache::data d;
  d.set("csrf", page.csrf);
  d.set("title", page.branding.title);
  set_optional(d, "redirect_uri", redirect_uri);
  set_optional(d, "error", error);
  return layout(page, render(R"HTML(<h1>{{title}}</h1>
<p>Enter your e-mail address or phone number. We will send you a link and a code to sign in.</p>
{{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
<form method="post" action="/v1/magic-links">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <label for="identifier">E-mail or phone</label>
  <input id="identifier" name="identifier" type="text" inputmode="email" autocomplete="username"
         required maxlength="320" autofocus placeholder="you@example.com">
  {{#redirect_uri}}<input type="hidden" name="redirect_uri" value="{{redirect_uri}}">{{/redirect_uri}}
  <button type="submit">Send me a sign-in link</button>
</form>)HTML",
                             d));
}

std::string check_inbox_page(const PageContext& page, const std::string& masked_identifier,
                             const std::string& flow_id, const std::string& redirect_uri,
                             int minutes, const std::string& error) {
  mustache::data d;
  d.set("csrf", page.csrf);
  d.set("who", masked_identifier);
  d.set("flow_id", flow_id);
  if (minutes > 0) d.set("minutes", std::to_string(minutes));
  set_optional(d, "error", error);
  set_optional(d, "redirect_uri", redirect_uri);
  // Notices when the link was opened in another tab of this browser, then moves on.
  std::string script =
      "(function(){var f=document.getElementById('otp');var id=f.dataset.flow;var "
      "next=f.dataset.next||'/signed-in';"
      "function "
      "poll(){fetch('/v1/magic-links/"
      "status?flow_id='+encodeURIComponent(id),{credentials:'same-origin'})"
      ".then(function(r){return "
      "r.json()}).then(function(s){if(s.status==='completed'){location.href=next}"
      "else "
      "if(s.status==='pending'){setTimeout(poll,2000)}}).catch(function(){setTimeout(poll,5000)})}"
      "setTimeout(poll,2000)})();";
  return layout(page,
                render(R"HTML(<h1>Check your inbox</h1>
<p>We sent a sign-in link to <strong>{{who}}</strong> if it belongs to an account.{{#minutes}} It expires in {{minutes}} minutes.{{/minutes}}</p>
<p>Open the link on this device, or enter the code from the message:</p>
{{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
<form id="otp" method="post" action="/v1/otp/verify" data-flow="{{flow_id}}" data-next="{{redirect_uri}}">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <input type="hidden" name="flow_id" value="{{flow_id}}">
  <label for="code">Code</label>
  <input id="code" class="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code"
         pattern="[0-9]*" required maxlength="10">
  <button type="submit">Sign in</button>
</form>
<p class="muted"><a href="/">Use a different address</a></p>)HTML",
                       d),
                script);
}

std::string confirm_page(const PageContext& page, const std::string& token,
                         const std::string& device, const std::string& requested_at,
                         bool auto_continue) {
  mustache::data d;
  d.set("csrf", page.csrf);
  d.set("token", token);
  d.set("device", device);
  d.set("requested_at", requested_at);
  d.set("title", page.branding.title);
  if (auto_continue) d.set("same", true);
  // In the browser that asked, continue at once; a mail scanner runs no script and has no cookie.
  std::string script = auto_continue ? "document.getElementById('confirm').submit();" : "";
  return layout(page,
                render(R"HTML(<h1>{{title}}</h1>
{{#same}}<p>Signing you in…</p>{{/same}}
{{^same}}<p>This sign-in was asked for at <strong>{{requested_at}}</strong> from <strong>{{device}}</strong>.</p>
<p>If that was you, continue. If not, close this page: nothing happens without the click.</p>{{/same}}
<form id="confirm" method="post" action="/v1/magic-links/verify">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <input type="hidden" name="token" value="{{token}}">
  <button type="submit">Continue signing in</button>
</form>)HTML",
                       d),
                script);
}

std::string success_page(const PageContext& page, const std::string& who) {
  mustache::data d;
  d.set("csrf", page.csrf);
  set_optional(d, "who", who);
  return layout(page, render(R"HTML(<h1>You are signed in</h1>
{{#who}}<p>Signed in as <strong>{{who}}</strong>.</p>{{/who}}
<p>You can close this tab.</p>
<form method="post" action="/v1/session/logout">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <button type="submit">Sign out</button>
</form>)HTML",
                             d));
}

std::string error_page(const PageContext& page, const std::string& heading,
                       const std::string& detail, bool offer_new_link) {
  mustache::data d;
  d.set("csrf", page.csrf);
  d.set("heading", heading);
  set_optional(d, "detail", detail);
  if (offer_new_link) d.set("offer", true);
  return layout(page, render(R"HTML(<h1>{{heading}}</h1>
<p role="alert">{{detail}}</p>
{{#offer}}<form method="post" action="/v1/magic-links">
  <input type="hidden" name="csrf" value="{{csrf}}">
  <label for="identifier">Send a new link to</label>
  <input id="identifier" name="identifier" type="text" autocomplete="username" required maxlength="320">
  <button type="submit">Send a new link</button>
</form>{{/offer}}
<p class="muted"><a href="/">Back to sign-in</a></p>)HTML",
                             d));
}

}  // namespace linkgate::http
