#include "flow/magic_link_service.h"

#include <Poco/Exception.h>

#include <algorithm>

#include "flow/device.h"
#include "flow/sms_length.h"
#include "identity/identifier.h"
#include "util/base64url.h"
#include "util/crypto.h"

namespace linkgate::flow {
namespace {

std::string host_of(const std::string& base_url) {
  auto start = base_url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  auto end = base_url.find_first_of(":/", start);
  return base_url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

// Database failures surface as Poco exceptions; they are a dependency being down, not a bug.
template <class F>
auto guard_store(services::Log& log, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const Poco::Exception& e) {
    log.write(sdk::LogLevel::error, "flow", "store failed: " + e.displayText());
    return unavailable("Sign-in is unavailable right now. Try again in a moment.");
  } catch (const std::exception& e) {
    log.write(sdk::LogLevel::error, "flow", std::string("unexpected failure: ") + e.what());
    return internal_error();
  }
}

constexpr std::size_t kMaxSmsSegments = 2;
constexpr std::string_view kShortLinkPrefix = "c.";

}  // namespace

MagicLinkService::MagicLinkService(FlowDependencies deps) : d_(std::move(deps)) {}

std::string MagicLinkService::short_key_mac(const std::string& key) const {
  return util::to_hex(util::hmac_sha256(d_.server_secret, "short-link:" + key));
}

Outcome<Flow> MagicLinkService::flow_of_short_link(const std::string& token) {
  auto flow = guard_store(d_.log, [&]() -> Outcome<Flow> {
    auto f = d_.flows.find_by_short_key(short_key_mac(token.substr(kShortLinkPrefix.size())));
    if (!f) {
      return rejected("invalid",
                      invalid_token("It may have been copied only in part. Ask for a new one."));
    }
    return *f;
  });
  if (!flow.ok()) return flow;
  return live_flow(flow->id);
}

bool MagicLinkService::is_short_link(const std::string& token) {
  return token.rfind(kShortLinkPrefix, 0) == 0 && token.size() == kShortLinkPrefix.size() + 22;
}

std::string MagicLinkService::code_mac(const std::string& flow_id, const std::string& code) const {
  return util::to_hex(util::hmac_sha256(d_.server_secret, "otp:" + flow_id + ":" + code));
}

ApiError MagicLinkService::rejected(const char* reason, ApiError error) {
  count("linkgate_links_rejected_total", reason);
  error.reason = reason;
  return error;
}

std::string MagicLinkService::identifier_key(const sdk::Identifier& identifier) const {
  return util::to_hex(util::hmac_sha256(
      d_.server_secret,
      std::string("identifier:") + sdk::to_string(identifier.kind) + ":" + identifier.value));
}

void MagicLinkService::audit(services::AuditEvent event) {
  d_.audit.record(event, std::chrono::duration_cast<std::chrono::milliseconds>(
                             d_.services.clock().now().time_since_epoch())
                             .count());
}

template <class T>
Outcome<T> MagicLinkService::audited(Outcome<T> outcome, services::AuditEvent event,
                                     const char* success) {
  if (outcome.ok()) {
    event.event = success;
  } else {
    const ApiError& e = outcome.error();
    event.event = e.code == "rate_limited" ? "rate_limited" : "rejected";
    event.reason = e.reason.empty() ? e.code : e.reason;
  }
  audit(std::move(event));
  return outcome;
}

void MagicLinkService::count(const char* name, const char* reason) {
  if (reason == nullptr) {
    d_.metrics.add(name, {}, 1);
  } else {
    d_.metrics.add(name, {{"reason", reason}}, 1);
  }
}

ApiError MagicLinkService::token_error(const sdk::Error& error, const char* stage) {
  switch (error.code) {
    case sdk::ErrorCode::expired:
      return rejected("expired", expired_token("This link has expired. Ask for a new one."));
    case sdk::ErrorCode::used:
      return rejected("used", used_token("This link was already used. Ask for a new one."));
    case sdk::ErrorCode::invalid:
    case sdk::ErrorCode::not_found:
      return rejected("invalid",
                      invalid_token("It may have been copied only in part. Ask for a new one."));
    case sdk::ErrorCode::unavailable:
      d_.log.write(sdk::LogLevel::error, "flow",
                   std::string(stage) + ": token store unavailable: " + error.message);
      return unavailable("Sign-in is unavailable right now. Try again in a moment.");
    default:
      d_.log.write(sdk::LogLevel::error, "flow",
                   std::string(stage) + ": token strategy failed: " + error.message);
      return internal_error();
  }
}

Outcome<Started> MagicLinkService::start(const StartRequest& request) {
  auto parsed = identity::parse_identifier(request.identifier);
  if (!parsed.identifier) return invalid_request("identifier: " + parsed.problem);
  const sdk::Identifier identifier = *parsed.identifier;
  services::AuditEvent event{"", identifier_key(identifier), request.client, "", "", ""};
  auto started = start_admitted(request, identifier, event);
  if (started.ok()) event.flow_id = started->flow_id;
  return audited(std::move(started), event, "link_issued");
}

std::optional<ApiError> MagicLinkService::admit(
    const std::function<std::optional<Refusal>()>& check) {
  try {
    auto refusal = check();
    if (!refusal) return std::nullopt;
    count("linkgate_rate_limited_total", refusal->reason.c_str());
    return rate_limited(static_cast<int>(refusal->retry_after_seconds), refusal->reason);
  } catch (const std::exception& e) {
    d_.log.write(sdk::LogLevel::error, "flow", std::string("rate-limit store: ") + e.what());
    return unavailable("Sign-in is unavailable right now. Try again in a moment.");
  }
}

Outcome<Started> MagicLinkService::start_admitted(const StartRequest& request,
                                                  const sdk::Identifier& identifier,
                                                  const services::AuditEvent& event) {
  if (!request.channel.empty() && request.channel != "email" && request.channel != "sms") {
    return invalid_request("channel: expected email or sms");
  }
  if (!request.redirect_uri.empty() && !d_.redirects.allows(request.redirect_uri)) {
    return rejected("redirect_not_allowed", ApiError{400, "redirect_not_allowed",
                                                     "redirect_uri is not on the allow-list."});
  }
  // Before the user lookup, so known and unknown identifiers are limited alike.
  if (auto refused = admit([&] {
        return d_.limits.admit_start(request.client, event.identifier_hash, identifier.kind);
      })) {
    return *refused;
  }

  auto found = d_.users.find(identifier);
  if (!found.ok() && found.code() != sdk::ErrorCode::not_found) {
    d_.log.write(sdk::LogLevel::error, "flow", "user store: " + found.error().message);
    return unavailable("Sign-in is unavailable right now. Try again in a moment.");
  }
  const bool known = found.ok();
  sdk::User user = known ? found.value() : sdk::User{};

  // Where the message goes: the channel asked for when the user has that address, else the
  // address typed. The same rule for unknown identifiers, so answers do not differ.
  sdk::Identifier address = identifier;
  if (request.channel == "sms" && !user.phone.empty())
    address = {sdk::AddressKind::phone, user.phone};
  if (request.channel == "email" && !user.email.empty())
    address = {sdk::AddressKind::email, user.email};
  if (!outbox::route_for(d_.routes, address.kind)) {
    return invalid_request(std::string("sign-in by ") +
                           (address.kind == sdk::AddressKind::email ? "e-mail" : "phone") +
                           " is not available here");
  }
  const bool deliver = known || d_.settings.signup;
  // A stranger's address may be told that someone tried it — by e-mail only, never a text, and
  // still limited like any sign-in above.
  const bool notify =
      !deliver && d_.settings.security.notify_unknown && address.kind == sdk::AddressKind::email;

  const std::int64_t now = d_.services.clock().now_seconds();
  const std::int64_t ttl = d_.settings.token_ttl.count() / 1000;
  Flow flow;
  flow.id = util::base64url_encode(d_.services.random().bytes(18));
  flow.identifier = identifier;
  flow.identifier_key = event.identifier_hash;
  flow.subject = user.id;
  flow.redirect_uri = request.redirect_uri;
  const std::string code = util::random_digits(static_cast<std::size_t>(d_.settings.otp.length));
  flow.code_mac = code_mac(flow.id, code);
  flow.created_at = now;
  flow.expires_at = now + ttl;
  flow.device = describe_device(request.user_agent);
  flow.deliverable = deliver;

  sdk::LinkGrant grant{flow.id, flow.subject, identifier, flow.redirect_uri, now, flow.expires_at};
  auto token = d_.tokens.issue(grant);
  if (!token.ok()) return token_error(token.error(), "issue");

  std::vector<std::string> locales;
  if (!request.locale.empty()) locales.push_back(request.locale);
  if (!user.locale.empty()) locales.push_back(user.locale);
  locales.insert(locales.end(), request.accept_languages.begin(), request.accept_languages.end());
  MessageValues values{
      d_.settings.server.public_base_url + "/v1/magic-links/verify?token=" + token->token,
      code,
      static_cast<int>((ttl + 59) / 60),
      d_.settings.branding.app_name,
      d_.settings.branding.title,
      host_of(d_.settings.server.public_base_url)};
  auto rendered = d_.templates.render(address.kind, values, locales);
  if (address.kind == sdk::AddressKind::phone && sms_segments(rendered.text) > kMaxSmsSegments) {
    // The strategy's token is too long for an SMS (an ES256 JWT alone is ~300 characters): send
    // the core's short link instead. It redeems through the flow, once, like the code does.
    const std::string key = util::base64url_encode(d_.services.random().bytes(16));
    flow.short_key_mac = short_key_mac(key);
    values.link = d_.settings.server.public_base_url +
                  "/v1/magic-links/verify?token=" + std::string(kShortLinkPrefix) + key;
    rendered = d_.templates.render(address.kind, values, locales);
  }
  const std::string link = values.link;

  auto stored = guard_store(d_.log, [&]() -> Outcome<bool> {
    d_.flows.create(flow, d_.settings.verify.supersede_previous);
    const std::string message_id = util::base64url_encode(d_.services.random().bytes(12));
    if (deliver || notify) {
      // A stranger's notice carries no link and no code; everyone else gets the sign-in message.
      const RenderedMessage content =
          notify ? d_.templates.render_unknown(values, locales) : rendered;
      outbox::OutboxMessage m;
      m.id = message_id;
      m.flow_id = flow.id;
      m.kind = address.kind;
      m.recipient = address.value;
      m.locale = content.locale;
      m.subject = content.subject;
      m.text = content.text;
      m.html = content.html;
      if (!notify) {
        m.link = link;
        m.code = code;
      }
      m.channel_index = *outbox::route_for(d_.routes, address.kind);
      m.expires_at = flow.expires_at;
      d_.outbox.enqueue(m, now);
    } else {
      d_.outbox.record_suppressed(message_id, flow.id, now);
    }
    return true;
  });
  if (!stored.ok()) return stored.error();
  if ((deliver || notify) && d_.outbox_enqueued) d_.outbox_enqueued();
  // Flows a day past their expiry can only answer "expired"; dropping them keeps the table small.
  if (++starts_since_sweep_ % 1024 == 0) {
    guard_store(d_.log, [&]() -> Outcome<bool> { return d_.flows.sweep(now, 86'400) > 0; });
  }
  count("linkgate_links_issued_total", nullptr);
  return Started{flow.id, ttl, identity::mask(identifier)};
}

Outcome<Flow> MagicLinkService::live_flow(const std::string& flow_id) {
  auto flow = guard_store(d_.log, [&]() -> Outcome<Flow> {
    auto f = d_.flows.get(flow_id);
    if (!f) return invalid_token("This sign-in request is not known.");
    return *f;
  });
  if (!flow.ok()) return flow;
  const Flow& f = flow.value();
  switch (f.state) {
    case FlowState::completed:
      return rejected("used",
                      used_token("This sign-in was already completed. Ask for a new link."));
    case FlowState::superseded:
      return rejected("superseded", invalid_token("A newer link was sent; use the newest one."));
    case FlowState::dead:
      return rejected("attempts", invalid_token("Too many wrong codes. Ask for a new link."));
    case FlowState::pending:
      break;
  }
  if (d_.services.clock().now_seconds() >= f.expires_at) {
    return rejected("expired", expired_token("This link has expired. Ask for a new one."));
  }
  return flow;
}

Outcome<Preview> MagicLinkService::preview(const std::string& token,
                                           const std::string& flow_cookie) {
  if (is_short_link(token)) {
    auto flow = flow_of_short_link(token);
    if (!flow.ok()) return flow.error();
    const bool same = !flow_cookie.empty() && util::constant_time_equal(flow_cookie, flow->id);
    sdk::LinkGrant grant{flow->id,           flow->subject,    flow->identifier,
                         flow->redirect_uri, flow->created_at, flow->expires_at};
    return Preview{grant, flow->device, flow->created_at, same};
  }
  auto grant = d_.tokens.inspect(token);
  if (!grant.ok()) return token_error(grant.error(), "inspect");
  auto flow = live_flow(grant->flow_id);
  if (!flow.ok()) return flow.error();
  const bool same = !flow_cookie.empty() && util::constant_time_equal(flow_cookie, flow->id);
  return Preview{grant.value(), flow->device, flow->created_at, same};
}

Outcome<SignedIn> MagicLinkService::redeem_link(const std::string& token,
                                                const std::string& flow_cookie,
                                                const std::string& client) {
  return redeem_admitted(client, "", "link_redeemed", [&](services::AuditEvent& event) {
    return redeem_link_admitted(token, flow_cookie, event);
  });
}

Outcome<SignedIn> MagicLinkService::redeem_admitted(
    const std::string& client, const std::string& flow_id, const char* success,
    const std::function<Outcome<SignedIn>(services::AuditEvent&)>& redeem) {
  services::AuditEvent event{"", "", client, flow_id.substr(0, 64), "", ""};
  if (auto refused = admit([&] { return d_.limits.admit_redeem(client); })) {
    return audited<SignedIn>(*refused, event, "");
  }
  auto in = redeem(event);
  if (in.ok()) event.subject = in->user.id;
  return audited(std::move(in), event, success);
}

Outcome<SignedIn> MagicLinkService::redeem_link_admitted(const std::string& token,
                                                         const std::string& flow_cookie,
                                                         services::AuditEvent& event) {
  const bool short_link = is_short_link(token);
  Outcome<Flow> flow = invalid_token("");
  if (short_link) {
    flow = flow_of_short_link(token);
  } else {
    auto grant = d_.tokens.inspect(token);
    if (!grant.ok()) return token_error(grant.error(), "inspect");
    event.flow_id = grant->flow_id;
    flow = live_flow(grant->flow_id);
  }
  if (!flow.ok()) return flow.error();
  event.flow_id = flow->id;
  event.identifier_hash = flow->identifier_key;
  if (d_.settings.verify.require_same_browser &&
      (flow_cookie.empty() || !util::constant_time_equal(flow_cookie, flow->id))) {
    return rejected(
        "other_browser",
        ApiError{400, "invalid_token",
                 "Open this link in the browser where you asked for it, or enter the code there."});
  }
  if (!short_link) {
    auto redeemed = d_.tokens.redeem(token);
    if (!redeemed.ok()) return token_error(redeemed.error(), "redeem");
  }
  return finish(
      flow.value());  // completes the flow atomically: one winner, for either kind of link
}

Outcome<SignedIn> MagicLinkService::redeem_code(const std::string& flow_id, const std::string& code,
                                                const std::string& client) {
  return redeem_admitted(client, flow_id, "code_redeemed", [&](services::AuditEvent& event) {
    return redeem_code_admitted(flow_id, code, event);
  });
}

Outcome<SignedIn> MagicLinkService::redeem_code_admitted(const std::string& flow_id,
                                                         const std::string& code,
                                                         services::AuditEvent& event) {
  const auto length = static_cast<std::size_t>(d_.settings.otp.length);
  if (flow_id.empty() || flow_id.size() > 64) return invalid_request("flow_id is missing.");
  if (code.size() != length ||
      !std::all_of(code.begin(), code.end(), [](unsigned char c) { return std::isdigit(c); })) {
    return invalid_request("code: expected " + std::to_string(length) + " digits.");
  }
  auto flow = live_flow(flow_id);
  if (!flow.ok()) return flow.error();
  event.identifier_hash = flow->identifier_key;
  const std::int64_t now = d_.services.clock().now_seconds();
  auto taken = guard_store(d_.log, [&]() -> Outcome<bool> {
    return d_.flows.take_attempt(flow_id, d_.settings.otp.max_attempts, now);
  });
  if (!taken.ok()) return taken.error();
  if (!taken.value()) {
    auto again = live_flow(flow_id);  // says why: completed, expired, or out of attempts
    if (!again.ok()) return again.error();
    return rejected("attempts", invalid_token("Too many wrong codes. Ask for a new link."));
  }
  if (!util::constant_time_equal(code_mac(flow_id, code), flow->code_mac)) {
    count("linkgate_codes_rejected_total", nullptr);
    if (flow->attempts + 1 >= d_.settings.otp.max_attempts) {
      guard_store(d_.log, [&]() -> Outcome<bool> {
        d_.flows.kill(flow_id);
        return true;
      });
      return rejected("attempts", invalid_token("Too many wrong codes. Ask for a new link."));
    }
    auto wrong = invalid_token("That code is not right. Check it and try again.");
    wrong.reason = "wrong_code";
    wrong.can_retry = true;
    return wrong;
  }
  return finish(flow.value());
}

Outcome<SignedIn> MagicLinkService::finish(const Flow& flow) {
  const std::int64_t now = d_.services.clock().now_seconds();
  auto completed =
      guard_store(d_.log, [&]() -> Outcome<bool> { return d_.flows.complete(flow.id, now); });
  if (!completed.ok()) return completed.error();
  if (!completed.value()) {
    return rejected("used", used_token("This sign-in was already completed. Ask for a new link."));
  }
  sdk::Result<sdk::User> user = sdk::fail(sdk::ErrorCode::not_found, "");
  if (!flow.subject.empty()) {
    user = d_.users.get(flow.subject);
  } else if (d_.settings.signup) {
    user = d_.users.create(flow.identifier);
  }
  if (!user.ok()) {
    if (user.code() == sdk::ErrorCode::not_found) {
      return rejected("no_user", invalid_token("This link is not valid."));
    }
    d_.log.write(sdk::LogLevel::error, "flow", "user store: " + user.error().message);
    return unavailable("Sign-in is unavailable right now. Try again in a moment.");
  }
  count("linkgate_links_redeemed_total", nullptr);
  return SignedIn{user.value(), d_.sessions.issue(user.value()), flow.redirect_uri, flow.id};
}

FlowStatus MagicLinkService::status(const std::string& flow_id) {
  try {
    auto f = d_.flows.get(flow_id);
    if (!f) return FlowStatus::expired;
    if (f->state == FlowState::completed) return FlowStatus::completed;
    if (f->state != FlowState::pending || d_.services.clock().now_seconds() >= f->expires_at) {
      return FlowStatus::expired;
    }
    return FlowStatus::pending;
  } catch (const Poco::Exception&) {
    return FlowStatus::pending;
  }
}

}  // namespace linkgate::flow
