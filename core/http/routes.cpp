#include "http/routes.h"

#include <Poco/DateTimeFormatter.h>
#include <Poco/Timestamp.h>

#include <functional>
#include <map>

#include "host/log.h"
#include "host/request_scope.h"
#include "http/answer_later.h"
#include "http/json_text.h"
#include "http/pages.h"
#include "http/user_agent_family.h"
#include "util/crypto.h"
#include "util/json_escape.h"

namespace linkgate::http {
namespace {

constexpr const char* kFlowCookie = "lg_flow";

void set_session_cookie(Exchange& ex, wiring::Runtime& rt, const flow::SignedIn& in) {
  ex.set_cookie(rt.settings().session.cookie_name, in.session.token, rt.sessions().ttl_seconds());
}

// ---- sign-in flow ----

void answer_start(Exchange& ex, const flow::StartRequest& request,
                  const flow::Outcome<flow::Started>& started) {
  if (!started.ok()) {
    const ApiError error = to_api_error(started.problem());
    if (ex.wants_html() && error.code == "invalid_request") {
      ex.send_html(400, sign_in_page(ex.page(), request.redirect_uri, error.description));
    } else {
      ex.send_error(error);
    }
    return;
  }
  ex.set_cookie(kFlowCookie, started->flow_id, started->expires_in);
  if (ex.wants_html()) {
    ex.send_html(202, check_inbox_page(ex.page(), started->masked_identifier, started->flow_id,
                                       request.redirect_uri,
                                       static_cast<int>((started->expires_in + 59) / 60), ""));
    return;
  }
  ex.send_json(202, R"({"status":"sent","flow_id":")" + util::json_escape(started->flow_id) +
                        R"(","expires_in":)" + std::to_string(started->expires_in) + "}");
}

// What an answer made later is made from (http/answer_later.h): the handler's request and
// response are gone by then, so they are copied, and the runtime is kept.
struct MadeLater {
  std::shared_ptr<wiring::Runtime> runtime;
  Request request;
  Response response;
  std::string request_id;
};

// Runs @p begin (a flow operation's *_then(), given how to resume), and answers with @p answer
// (Exchange&, Runtime&, const Outcome&) — now, when the outcome is known at once, or later, on
// the front end thread that takes the finish once the operation's commit is done. The request's
// thread does not wait for the commit.
template <class Outcome, class Begin, class Answer>
void answer_later(Exchange& ex, wiring::Runtime& rt, Begin begin, Answer answer) {
  auto post = AnswerLater::take();
  auto later = std::make_shared<const MadeLater>(
      MadeLater{rt.shared_from_this(), ex.request(), ex.response(), host::RequestScope::current()});
  std::optional<Outcome> answered_now;
  try {
    // Called once, on the database's writer thread: it hands the runtime on to the maker rather
    // than keep a copy of its own, so that the last reference to a runtime a reload replaced is
    // never let go there (its outbox workers, stopped with it, may be waiting for that writer).
    answered_now = begin([post, later, answer](std::function<Outcome()> finish) mutable {
      post([later = std::move(later), finish = std::move(finish), answer]() -> Response {
        host::RequestScope scope(later->request_id);
        const auto outcome = finish();
        Response response = later->response;
        auto& runtime = *later->runtime;
        Exchange made(later->request, response, runtime.settings(), runtime.server_secret());
        answer(made, runtime, outcome);
        return response;
      });
    });
  } catch (...) {
    AnswerLater::give_back();  // nothing will be posted: answered as any failed handler is
    throw;
  }
  if (!answered_now) return;
  AnswerLater::give_back();
  answer(ex, rt, *answered_now);
}

void start_sign_in(Exchange& ex, wiring::Runtime& rt) {
  ex.sensitive();
  auto fields = ex.read_fields();
  if (!fields) return;
  flow::StartRequest request;
  request.identifier = (*fields)["identifier"];
  request.redirect_uri = (*fields)["redirect_uri"];
  request.channel = (*fields)["channel"];
  request.locale = (*fields)["locale"];
  request.accept_languages = flow::parse_accept_language(ex.header("Accept-Language"));
  request.user_agent = ex.header("User-Agent");
  request.client = ex.client_address();
  if (request.identifier.empty()) {
    if (ex.wants_html()) {
      ex.send_html(400, sign_in_page(ex.page(), request.redirect_uri,
                                     "Enter your e-mail address or phone number."));
    } else {
      ex.send_error(invalid_request("identifier is required."));
    }
    return;
  }
  auto answer = [request](Exchange& to, wiring::Runtime&, const flow::Outcome<flow::Started>& o) {
    answer_start(to, request, o);
  };
  if (AnswerLater::possible()) {
    // The start's rows are committed by the database's writer with other requests'.
    return answer_later<flow::Outcome<flow::Started>>(
        ex, rt, [&](auto resume) { return rt.flow().start_then(request, std::move(resume)); },
        answer);
  }
  answer(ex, rt, rt.flow().start(request));
}

void answer_signed_in(Exchange& ex, wiring::Runtime& rt, const flow::SignedIn& in) {
  set_session_cookie(ex, rt, in);
  ex.clear_cookie(kFlowCookie);
  if (ex.wants_html()) {
    ex.send_redirect(in.redirect_uri.empty() ? "/signed-in" : in.redirect_uri);
    return;
  }
  // Written directly, as the session answer is: every redeem ends here, and building it as Poco
  // JSON objects took half as long as signing the session token in it (a redeem's profile).
  ex.send_json(200, R"({"access_token":")" + util::json_escape(in.session.token) +
                        R"(","token_type":"Bearer","expires_in":)" +
                        std::to_string(rt.sessions().ttl_seconds()) + R"(,"user":{"id":")" +
                        util::json_escape(in.user.id) + R"(","email":")" +
                        util::json_escape(in.user.email) + R"(","phone":")" +
                        util::json_escape(in.user.phone) + R"("}})");
}

void answer_redeemed(Exchange& ex, wiring::Runtime& rt, const flow::Outcome<flow::SignedIn>& in) {
  if (!in.ok()) {
    ex.send_error(to_api_error(in.problem()));
    return;
  }
  answer_signed_in(ex, rt, in.value());
}

void redeem_link(Exchange& ex, wiring::Runtime& rt, const std::string& token) {
  if (AnswerLater::possible()) {
    // The flow's completion (and the link's replay entry) is committed with other requests'.
    return answer_later<flow::Outcome<flow::SignedIn>>(
        ex, rt,
        [&](auto resume) {
          return rt.flow().redeem_link_then(token, ex.cookie(kFlowCookie), ex.client_address(),
                                            std::move(resume));
        },
        answer_redeemed);
  }
  answer_redeemed(ex, rt,
                  rt.flow().redeem_link(token, ex.cookie(kFlowCookie), ex.client_address()));
}

void show_confirm_page(Exchange& ex, wiring::Runtime& rt) {
  ex.sensitive();
  const std::string token = ex.query("token");
  if (token.empty()) {
    ex.send_error(invalid_request("The link is incomplete: it has no token."));
    return;
  }
  if (!rt.settings().verify.confirm_page) {
    redeem_link(ex, rt, token);
    return;
  }
  auto preview =
      rt.flow().preview(token, ex.cookie(kFlowCookie), user_agent_family(ex.header("User-Agent")));
  if (!preview.ok()) {
    ex.send_error(to_api_error(preview.problem()));
    return;
  }
  std::string when = Poco::DateTimeFormatter::format(
      Poco::Timestamp::fromEpochTime(preview->requested_at), "%H:%M UTC on %e %b %Y");
  ex.send_html(200, confirm_page(ex.page(), token, preview->device, when, preview->same_browser));
}

void redeem_link_post(Exchange& ex, wiring::Runtime& rt) {
  ex.sensitive();
  auto fields = ex.read_fields();
  if (!fields) return;
  const std::string token = (*fields)["token"];
  if (token.empty()) {
    ex.send_error(invalid_request("token is required."));
    return;
  }
  redeem_link(ex, rt, token);
}

void redeem_code(Exchange& ex, wiring::Runtime& rt) {
  ex.sensitive();
  auto fields = ex.read_fields();
  if (!fields) return;
  std::string flow_id = (*fields)["flow_id"];
  if (flow_id.empty()) flow_id = ex.cookie(kFlowCookie);
  auto in = rt.flow().redeem_code(flow_id, (*fields)["code"], ex.client_address());
  if (!in.ok()) {
    const ApiError e = to_api_error(in.problem());
    if (ex.wants_html() && e.can_retry) {
      ex.send_html(e.status,
                   check_inbox_page(ex.page(), "your address", flow_id, "", 0, e.description));
      return;
    }
    ex.send_error(e);
    return;
  }
  answer_signed_in(ex, rt, in.value());
}

void flow_status(Exchange& ex, wiring::Runtime& rt) {
  ex.sensitive();
  std::string flow_id = ex.query("flow_id");
  if (flow_id.empty()) flow_id = ex.cookie(kFlowCookie);
  if (flow_id.empty()) {
    ex.send_error(invalid_request("flow_id is required."));
    return;
  }
  auto status = rt.flow().status(flow_id);
  if (!status.ok()) {
    ex.send_error(to_api_error(status.problem()));
    return;
  }
  auto body = json_object();
  body.set("status", flow::to_string(status.value()));
  ex.send_json(200, json_text(body));
}

// ---- sessions ----

std::string presented_session(Exchange& ex, wiring::Runtime& rt) {
  std::string auth = ex.header("Authorization");
  if (auth.size() > 7 && (auth.rfind("Bearer ", 0) == 0 || auth.rfind("bearer ", 0) == 0))
    return auth.substr(7);
  return ex.cookie(rt.settings().session.cookie_name);
}

void session_info(Exchange& ex, wiring::Runtime& rt) {
  ex.sensitive();
  auto claims = rt.sessions().verify(presented_session(ex, rt));
  if (!claims.ok()) {
    if (claims.code() == sdk::ErrorCode::unavailable) {
      ex.send_error(unavailable("Sessions cannot be checked right now."));
      return;
    }
    ex.response().set("WWW-Authenticate", "Bearer");
    ex.send_error({401, "unauthorized", "No valid session."});
    return;
  }
  // Written directly: asked on every page an application shows, and a Poco JSON object costs
  // more than the rest of the answer.
  ex.send_json(200, R"({"sub":")" + util::json_escape(claims->sub) + R"(","email":")" +
                        util::json_escape(claims->email) + R"(","phone":")" +
                        util::json_escape(claims->phone) + R"(","exp":)" +
                        std::to_string(claims->exp) + "}");
}

void logout(Exchange& ex, wiring::Runtime& rt) {
  ex.sensitive();
  if (ex.is_form() && !ex.read_fields()) return;  // the sign-out button: checks its CSRF token
  auto claims = rt.sessions().verify(presented_session(ex, rt));
  if (claims.ok()) {
    auto revoked = rt.sessions().revoke(claims.value());
    if (!revoked.ok()) {
      ex.send_error(unavailable("The session could not be revoked right now."));
      return;
    }
    rt.metrics().add("linkgate_sessions_revoked_total", {}, 1, "Sessions ended by logout");
    rt.audit().record({"session_revoked", "", ex.client_address(), "", "", claims->sub, ""},
                      rt.now_ms());
  }
  ex.clear_cookie(rt.settings().session.cookie_name);
  if (ex.wants_html()) {
    ex.send_redirect("/");
    return;
  }
  ex.send_no_content();
}

void jwks(Exchange& ex, wiring::Runtime& rt) {
  ex.response().set("Cache-Control", "public, max-age=300");
  ex.send_text(200, "application/jwk-set+json", rt.signing_keys().jwks_json());
}

// ---- pages ----

void home(Exchange& ex, wiring::Runtime&) {
  std::string redirect = ex.query("redirect_uri");
  ex.send_html(200, sign_in_page(ex.page(), redirect, ""));
}

void signed_in(Exchange& ex, wiring::Runtime& rt) {
  ex.sensitive();
  auto claims = rt.sessions().verify(ex.cookie(rt.settings().session.cookie_name));
  std::string who = claims.ok() ? (claims->email.empty() ? claims->phone : claims->email) : "";
  if (!claims.ok()) {
    ex.send_html(401,
                 error_page(ex.page(), "You are not signed in", "Sign in to continue.", false));
    return;
  }
  ex.send_html(200, success_page(ex.page(), who));
}

// ---- operations ----

void healthz(Exchange& ex, wiring::Runtime&) {
  ex.send_json(200, R"({"status":"ok"})");
}

void readyz(Exchange& ex, wiring::Runtime& rt) {
  Poco::JSON::Array failing;
  for (const auto& [what, problem] : rt.readiness()) {
    if (!problem.empty()) failing.add(what);
  }
  auto body = json_object();
  body.set("status", failing.size() == 0 ? "ready" : "unavailable");
  if (failing.size() > 0) body.set("failing", failing);
  ex.send_json(failing.size() == 0 ? 200 : 503, json_text(body));
}

void metrics(Exchange& ex, wiring::Runtime& rt) {
  ex.send_text(200, "text/plain; version=0.0.4", rt.metrics().render());
}

using Handler = std::function<void(Exchange&, wiring::Runtime&)>;

const std::map<std::string, std::map<std::string, Handler>>& route_table() {
  static const std::map<std::string, std::map<std::string, Handler>> table{
      {"/", {{"GET", home}}},
      {"/signed-in", {{"GET", signed_in}}},
      {"/v1/magic-links", {{"POST", start_sign_in}}},
      {"/v1/magic-links/verify", {{"GET", show_confirm_page}, {"POST", redeem_link_post}}},
      {"/v1/otp/verify", {{"POST", redeem_code}}},
      {"/v1/magic-links/status", {{"GET", flow_status}}},
      {"/.well-known/jwks.json", {{"GET", jwks}}},
      {"/v1/session", {{"GET", session_info}}},
      {"/v1/session/logout", {{"POST", logout}}},
      {"/healthz", {{"GET", healthz}}},
      {"/readyz", {{"GET", readyz}}},
      {"/metrics", {{"GET", metrics}}},
  };
  return table;
}

bool is_admin_route(const std::string& path) {
  return path == "/metrics" || path == "/readyz";
}

/// server.admin: with admin listeners, /metrics and /readyz are served there and nowhere else,
/// and those listeners serve nothing else but /healthz; with a token, both require it as a
/// bearer token. True when the request may go on.
bool admitted_by_admin_rules(Exchange& ex, const Request& request, wiring::Runtime& rt) {
  const bool separate = !rt.settings().server.admin.listen.empty();
  const bool admin_route = is_admin_route(request.path());
  if ((separate && admin_route && !request.admin) ||
      (request.admin && !admin_route && request.path() != "/healthz")) {
    ex.send_error({404, "not_found", "There is nothing here."});
    return false;
  }
  const std::string& token = rt.admin_token();
  if (!admin_route || token.empty()) return true;
  const std::string auth = request.header("Authorization");
  const bool bearer =
      auth.size() > 7 && (auth.rfind("Bearer ", 0) == 0 || auth.rfind("bearer ", 0) == 0);
  if (bearer && util::constant_time_equal(std::string_view(auth).substr(7), token)) return true;
  ex.response().set("WWW-Authenticate", "Bearer realm=\"linkgate-admin\"");
  ex.send_error({401, "unauthorized", "This needs the admin bearer token."});
  return false;
}

void answer(Exchange& ex, const Request& request, wiring::Runtime& rt) {
  if (!admitted_by_admin_rules(ex, request, rt)) return;
  const auto& table = route_table();
  auto route = table.find(ex.path());
  if (route == table.end()) {
    ex.send_error({404, "not_found", "There is nothing here."});
    return;
  }
  std::string method = ex.method() == "HEAD" ? "GET" : ex.method();
  auto handler = route->second.find(method);
  if (handler == route->second.end()) {
    std::string allow;
    for (const auto& [m, h] : route->second) allow += (allow.empty() ? "" : ", ") + m;
    ex.response().set("Allow", allow);
    ex.send_error({405, "method_not_allowed", "Use " + allow + " here."});
    return;
  }
  if (method == "POST" && !ex.check_origin()) return;
  try {
    handler->second(ex, rt);
  } catch (const std::exception& e) {
    rt.log().write(sdk::LogLevel::error, "http",
                   "unhandled failure on " + ex.path() + ": " + e.what());
    if (!ex.sent()) ex.send_error(internal_error());
  }
}

}  // namespace

std::vector<std::pair<std::string, std::string>> routes() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [path, methods] : route_table()) {
    for (const auto& [method, handler] : methods) out.emplace_back(method, path);
  }
  return out;
}

namespace {
const std::string& other_route() {
  static const std::string other = "other";
  return other;
}
}  // namespace

const std::string& route_label(const std::string& path) {
  const auto& table = route_table();
  const auto route = table.find(path);
  return route == table.end() ? other_route() : route->first;
}

std::vector<const std::string*> route_labels() {
  std::vector<const std::string*> labels;
  for (const auto& [path, handlers] : route_table()) labels.push_back(&path);
  labels.push_back(&other_route());
  return labels;
}

Response dispatch(const Request& request, wiring::Runtime& rt) {
  Response response;
  Exchange ex(request, response, rt.settings(), rt.server_secret());
  answer(ex, request, rt);
  return response;
}

}  // namespace linkgate::http
