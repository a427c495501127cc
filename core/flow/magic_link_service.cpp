#include "flow/magic_link_service.h"

#include "flow/delivery_choice.h"
#include "flow/device.h"
#include "flow/redeem_rules.h"
#include "flow/sign_in_message.h"
#include "identity/identifier.h"
#include "util/base64url.h"
#include "util/crypto.h"
#include "util/unique_ids.h"

namespace linkgate::flow {
namespace {

const char* const kFunnelHelp =
    "Sign-ins by how far they got: issued, delivered, confirm_viewed (a flow's first "
    "confirm-page view), redeemed";

// Failures that say a link, code or redirect was refused (counted by reason); the rest are the
// client's malformed input, limits, or our own trouble.
bool is_rejection(Failure f) {
  switch (f) {
    case Failure::redirect_not_allowed:
    case Failure::unknown_flow:
    case Failure::invalid_token:
    case Failure::expired:
    case Failure::used:
    case Failure::superseded:
    case Failure::attempts_exhausted:
    case Failure::codes_locked:
    case Failure::other_browser:
    case Failure::no_user:
      return true;
    default:
      return false;
  }
}

}  // namespace

const char* to_string(FlowStatus status) {
  switch (status) {
    case FlowStatus::pending:
      return "pending";
    case FlowStatus::completed:
      return "completed";
    case FlowStatus::expired:
      return "expired";
  }
  return "expired";
}

MagicLinkService::MagicLinkService(FlowDependencies deps)
    : d_(std::move(deps)), counts_(counts_in(d_.reporting.metrics)) {}

MagicLinkService::Counts MagicLinkService::counts_in(host::MetricsRegistry& metrics) {
  const std::string funnel = "linkgate_signin_funnel_total";
  const std::string funnel_help = kFunnelHelp;
  return {metrics.counter("linkgate_links_issued_total", {}),
          metrics.counter(funnel, {{"stage", "issued"}}, funnel_help),
          metrics.counter(funnel, {{"stage", "confirm_viewed"}}, funnel_help),
          metrics.counter("linkgate_links_redeemed_total", {}),
          metrics.counter(funnel, {{"stage", "redeemed"}}, funnel_help)};
}

std::string MagicLinkService::new_id(std::size_t bytes) {
  // An id starting with '-' reads as an option to `linkgate outbox retry ID` and to grep.
  for (;;) {
    std::string id = util::base64url_encode(d_.host.random().bytes(bytes));
    if (id.front() != '-') return id;
  }
}

std::string MagicLinkService::new_ordered_id(std::size_t bytes) {
  return util::time_ordered_id(d_.host.random().bytes(bytes));
}

std::string MagicLinkService::new_code() {
  const auto length = static_cast<std::size_t>(d_.settings.otp.length);
  std::string code;
  while (code.size() < length) {
    for (unsigned char byte : d_.host.random().bytes(length)) {
      if (byte >= 250) continue;  // 250 = 25 * 10: keeps every digit equally likely
      code.push_back(static_cast<char>('0' + byte % 10));
      if (code.size() == length) break;
    }
  }
  return code;
}

Problem MagicLinkService::store_problem(const sdk::Error& error, const char* store,
                                        Failure missing) {
  if (error.code == sdk::ErrorCode::not_found) return problem(missing);
  return problem(Failure::unavailable, std::string(store) + ": " + error.message);
}

template <class T>
Outcome<T> MagicLinkService::reported(Outcome<T> outcome, audit::AuditEvent event,
                                      const char* success) {
  auto& metrics = d_.reporting.metrics;
  if (outcome.ok()) {
    event.event = success;
  } else {
    const Problem& p = outcome.problem();
    event.event = p.failure == Failure::rate_limited ? "rate_limited" : "rejected";
    event.reason = p.failure == Failure::rate_limited ? p.detail : reason_of(p.failure);
    if (p.failure == Failure::rate_limited) {
      metrics.add("linkgate_rate_limited_total", {{"reason", p.detail}}, 1);
    } else if (p.failure == Failure::wrong_code) {
      metrics.add("linkgate_codes_rejected_total", {}, 1);
    } else if (is_rejection(p.failure)) {
      metrics.add("linkgate_links_rejected_total", {{"reason", reason_of(p.failure)}}, 1);
    } else if (p.failure == Failure::unavailable || p.failure == Failure::internal) {
      d_.reporting.log.error(std::string(success) + ": " + p.detail);
    }
  }
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          d_.host.clock().now().time_since_epoch())
                          .count();
  d_.reporting.audit.record(event, now_ms);
  return outcome;
}

std::optional<Problem> MagicLinkService::admitted(
    const sdk::Result<std::optional<Refusal>>& decision) {
  if (!decision.ok()) return problem(Failure::unavailable, decision.error().message);
  if (!decision.value()) return std::nullopt;
  Problem refused = problem(Failure::rate_limited, decision.value()->reason);
  refused.retry_after = decision.value()->retry_after_seconds;
  return refused;
}

// ---- start ----

Outcome<Started> MagicLinkService::start(const StartRequest& request) {
  audit::AuditEvent event{"", "", request.client, "", "", "", ""};
  auto pending = prepare_start(request, event);
  if (!pending.ok()) {
    if (event.identifier_hash.empty()) return pending.problem();  // not even an identifier
    return reported<Started>(pending.problem(), event, "link_issued");
  }
  const auto created = d_.records.flows.create(pending->flow, d_.settings.verify.supersede_previous,
                                               pending->outgoing);
  return finish_start(pending.value(), created, std::move(event));
}

std::optional<Outcome<Started>> MagicLinkService::start_then(const StartRequest& request,
                                                             ResumeStart resume) {
  audit::AuditEvent event{"", "", request.client, "", "", "", ""};
  auto pending = prepare_start(request, event);
  if (!pending.ok()) {
    if (event.identifier_hash.empty()) return Outcome<Started>(pending.problem());
    return reported<Started>(pending.problem(), event, "link_issued");
  }
  auto kept = std::make_shared<PendingStart>(std::move(pending).value());
  d_.records.flows.create_then(
      std::shared_ptr<const Flow>(kept, &kept->flow), d_.settings.verify.supersede_previous,
      std::shared_ptr<const FlowMessage>(kept, &kept->outgoing),
      [this, kept, event = std::move(event),
       resume = std::move(resume)](sdk::Result<void> created) mutable {
        resume([this, kept, event = std::move(event), created = std::move(created)]() {
          return finish_start(*kept, created, event);
        });
      });
  return std::nullopt;
}

Outcome<MagicLinkService::PendingStart> MagicLinkService::prepare_start(const StartRequest& request,
                                                                        audit::AuditEvent& event) {
  auto parsed = identity::parse_identifier(request.identifier);
  if (!parsed.ok())
    return problem(Failure::invalid_request, "identifier: " + parsed.error().message);
  const sdk::Identifier identifier = parsed.value();
  event.identifier_hash = d_.hashes.identifier(identifier);
  return start_admitted(request, identifier, event.identifier_hash);
}

Outcome<Started> MagicLinkService::finish_start(PendingStart& pending,
                                                const sdk::Result<void>& created,
                                                audit::AuditEvent event) {
  auto& message = pending.outgoing.message;
  const bool held = message && message->held_until != 0;
  if (!created.ok()) {
    if (held) d_.records.outbox.give_back();
    return reported<Started>(store_problem(created.error(), "flows", Failure::unavailable), event,
                             "link_issued");
  }
  if (held) {
    d_.records.outbox.hand(std::move(*message));
  } else {
    d_.records.outbox.wake();
  }
  counts_.issued.add();
  counts_.issued_stage.add();
  event.flow_id = pending.started.flow_id;
  return reported(Outcome<Started>(pending.started), event, "link_issued");
}

Outcome<MagicLinkService::PendingStart> MagicLinkService::start_admitted(
    const StartRequest& request, const sdk::Identifier& identifier,
    const std::string& identifier_key) {
  auto asked = parse_channel(request.channel);
  if (!asked.ok()) return asked.problem();
  if (!request.redirect_uri.empty() && !d_.guards.redirects.allows(request.redirect_uri)) {
    return Failure::redirect_not_allowed;
  }
  if (auto p = check_deliverable(d_.messaging.routes, identifier.kind, asked.value())) return *p;
  // Before the user lookup, so known and unknown identifiers are limited alike.
  const auto charged =
      may_text(identifier.kind, asked.value()) ? sdk::AddressKind::phone : sdk::AddressKind::email;
  if (auto refused =
          admitted(d_.guards.admission.admit_start(request.client, identifier_key, charged))) {
    return *refused;
  }

  auto found = d_.plugins.users.find(identifier);
  if (!found.ok() && found.code() != sdk::ErrorCode::not_found) {
    return problem(Failure::unavailable, "user store: " + found.error().message);
  }
  const bool known = found.ok();
  const sdk::User user = known ? found.value() : sdk::User{};
  const sdk::Identifier address = choose_address(identifier, asked.value(), user);
  // A disabled user is answered like a stranger (the same 202, the same stored-and-discarded
  // message), but never signed up anew and never sent a stranger's notice.
  const bool deliver = known ? !user.disabled : d_.settings.signup;
  // A stranger's address may be told that someone tried it — by e-mail only, never a text, and
  // still limited like any sign-in above.
  const bool notify = !known && !deliver && d_.settings.security.notify_unknown &&
                      address.kind == sdk::AddressKind::email;

  const std::int64_t now = d_.host.clock().now_seconds();
  const std::int64_t ttl = d_.settings.token_ttl.count() / 1000;
  Flow flow;
  flow.id = new_ordered_id(16);
  flow.identifier = identifier;
  flow.identifier_key = identifier_key;
  flow.subject = user.id;
  flow.redirect_uri = request.redirect_uri;
  const std::string code = new_code();
  flow.code_mac = d_.hashes.code(flow.id, code);
  flow.created_at = now;
  flow.expires_at = now + ttl;
  flow.device = describe_device(request.user_agent);
  flow.deliverable = deliver;

  auto token = d_.plugins.tokens.issue(
      {flow.id, flow.subject, identifier, flow.redirect_uri, now, flow.expires_at});
  if (!token.ok()) return token_problem(token.code(), token.error().message);

  const std::string locale = d_.messaging.templates.choose_locale(
      preferred_locales(request.locale, user.locale, request.accept_languages));
  std::string link = verify_url(d_.settings.server.public_base_url, token->token);
  if (address.kind == sdk::AddressKind::phone &&
      too_long_for_sms(address.kind,
                       d_.messaging.templates.render(
                           address.kind, message_values(d_.settings, link, code, ttl), {locale}))) {
    // The strategy's token is too long for a text (an ES256 JWT alone is ~300 characters): send
    // the core's short link instead. It redeems through the flow, once, like the code does.
    const std::string key = new_id(16);
    flow.short_key_mac = d_.hashes.short_link(key);
    link = verify_url(d_.settings.server.public_base_url, short_link_token(key));
  }

  // The flow and its message are stored in one transaction; the outbox worker renders the
  // message when it delivers it. A stranger's sign-in message is stored too, and rendered and
  // discarded unsent by the worker: the same write, the same wake-up and the same work
  // afterwards, so a stranger's start costs what a user's does.
  const int channel = *outbox::route_for(d_.messaging.routes, address.kind);
  FlowMessage outgoing{
      // A stranger's notice carries no link and no code.
      notify ? outbox_message(new_ordered_id(12), flow, address, locale, channel, "", "")
             : outbox_message(new_ordered_id(12), flow, address, locale,
                              deliver ? channel : outbox::kDiscard, std::move(link), code),
      now};
  // Reserved last: every path from here stores the message or gives the room back.
  outgoing.message->held_until = d_.records.outbox.reserve(now);
  const std::string flow_id = flow.id;
  return PendingStart{std::move(flow), std::move(outgoing),
                      Started{flow_id, ttl, identity::mask(identifier)}};
}

// ---- looking at a link ----

Outcome<Flow> MagicLinkService::live_flow(const std::string& flow_id) {
  auto flow = d_.records.flows.get(flow_id);
  if (!flow.ok()) return store_problem(flow.error(), "flows", Failure::unknown_flow);
  return check_live(std::move(flow).value(), d_.host.clock().now_seconds());
}

Outcome<Flow> MagicLinkService::flow_of_short_link(const std::string& token) {
  auto flow = d_.records.flows.find_by_short_key(d_.hashes.short_link(short_link_key(token)));
  if (!flow.ok()) return store_problem(flow.error(), "flows", Failure::invalid_token);
  return check_live(std::move(flow).value(), d_.host.clock().now_seconds());
}

Outcome<Preview> MagicLinkService::preview(const std::string& token, const std::string& flow_cookie,
                                           const std::string& viewer) {
  sdk::LinkGrant grant;
  Outcome<Flow> flow = Failure::invalid_token;
  if (is_short_link(token)) {
    flow = flow_of_short_link(token);
    if (!flow.ok()) return flow.problem();
    grant = {flow->id,           flow->subject,    flow->identifier,
             flow->redirect_uri, flow->created_at, flow->expires_at};
  } else {
    auto inspected = d_.plugins.tokens.inspect(token);
    if (!inspected.ok()) return token_problem(inspected.code(), inspected.error().message);
    grant = inspected.value();
    flow = live_flow(grant.flow_id);
    if (!flow.ok()) return flow.problem();
  }
  const bool same = !flow_cookie.empty() && util::constant_time_equal(flow_cookie, flow->id);
  if (!viewer.empty()) note_view(flow.value(), viewer);
  return Preview{grant, flow->device, flow->created_at, same};
}

void MagicLinkService::note_view(const Flow& flow, const std::string& viewer) {
  auto& metrics = d_.reporting.metrics;
  metrics.add("linkgate_confirm_page_views_total", {{"ua_family", viewer}}, 1,
              "Confirm pages shown, by the user-agent family that asked");
  auto first = d_.records.flows.note_view(flow, viewer);
  if (!first.ok()) {
    d_.reporting.log.warning("noting a confirm-page view: " + first.error().message);
  } else if (first.value()) {
    counts_.confirm_viewed_stage.add();
  }
}

// ---- redeeming ----

Outcome<SignedIn> MagicLinkService::redeem_link(const std::string& token,
                                                const std::string& flow_cookie,
                                                const std::string& client) {
  audit::AuditEvent event{"", "", client, "", "", "", ""};
  if (auto refused = admitted(d_.guards.admission.admit_redeem(client))) {
    return reported<SignedIn>(*refused, event, "link_redeemed");
  }
  auto in = redeem_link_admitted(token, flow_cookie, event);
  if (in.ok()) event.subject = in->user.id;
  return reported(std::move(in), event, "link_redeemed");
}

std::optional<Outcome<SignedIn>> MagicLinkService::redeem_link_then(const std::string& token,
                                                                    const std::string& flow_cookie,
                                                                    const std::string& client,
                                                                    ResumeSignIn resume) {
  audit::AuditEvent event{"", "", client, "", "", "", ""};
  if (auto refused = admitted(d_.guards.admission.admit_redeem(client))) {
    return reported<SignedIn>(*refused, event, "link_redeemed");
  }
  auto flow = flow_to_redeem(token, flow_cookie, event);
  if (!flow.ok()) return reported<SignedIn>(flow.problem(), event, "link_redeemed");
  auto pending = before_completion(flow.value());
  if (!pending.ok()) return reported<SignedIn>(pending.problem(), event, "link_redeemed");
  auto kept = std::make_shared<PendingSignIn>(std::move(pending).value());
  const std::string* link_token = is_short_link(token) ? nullptr : &token;
  d_.records.flows.complete_after_then(
      flow.value(), d_.host.clock().now_seconds(), consume_link(link_token, *kept),
      [this, kept, event = std::move(event),
       resume = std::move(resume)](sdk::Result<bool> completed) mutable {
        resume([this, kept, event = std::move(event), completed = std::move(completed)]() {
          auto in = after_completion(*kept, completed);
          auto noted = event;
          if (in.ok()) noted.subject = in->user.id;
          return reported(std::move(in), std::move(noted), "link_redeemed");
        });
      });
  return std::nullopt;
}

Outcome<Flow> MagicLinkService::flow_to_redeem(const std::string& token,
                                               const std::string& flow_cookie,
                                               audit::AuditEvent& event) {
  Outcome<Flow> flow = Failure::invalid_token;
  if (is_short_link(token)) {
    flow = flow_of_short_link(token);
  } else {
    // Whether the link was used is left to the flow's state here and to the token's redeem()
    // in the completion's commit (inspect_for_redeem: a stateless token's replay record unread).
    auto grant = d_.plugins.tokens.inspect_for_redeem(token);
    if (!grant.ok()) return token_problem(grant.code(), grant.error().message);
    event.flow_id = grant->flow_id;
    flow = live_flow(grant->flow_id);
  }
  if (!flow.ok()) return flow.problem();
  event.flow_id = flow->id;
  event.identifier_hash = flow->identifier_key;
  if (d_.settings.verify.require_same_browser &&
      (flow_cookie.empty() || !util::constant_time_equal(flow_cookie, flow->id))) {
    return Failure::other_browser;
  }
  return flow;
}

Outcome<SignedIn> MagicLinkService::redeem_link_admitted(const std::string& token,
                                                         const std::string& flow_cookie,
                                                         audit::AuditEvent& event) {
  auto flow = flow_to_redeem(token, flow_cookie, event);
  if (!flow.ok()) return flow.problem();
  return finish(flow.value(), is_short_link(token) ? nullptr : &token);
}

Outcome<SignedIn> MagicLinkService::redeem_code(const std::string& flow_id, const std::string& code,
                                                const std::string& client) {
  audit::AuditEvent event{"", "", client, flow_id.substr(0, 64), "", "", ""};
  if (auto refused = admitted(d_.guards.admission.admit_redeem(client))) {
    return reported<SignedIn>(*refused, event, "code_redeemed");
  }
  auto in = redeem_code_admitted(flow_id, code, event);
  if (in.ok()) event.subject = in->user.id;
  return reported(std::move(in), event, "code_redeemed");
}

Outcome<SignedIn> MagicLinkService::redeem_code_admitted(const std::string& flow_id,
                                                         const std::string& code,
                                                         audit::AuditEvent& event) {
  if (auto p = check_code_shape(flow_id, code, d_.settings.otp.length)) return *p;
  auto flow = live_flow(flow_id);
  if (!flow.ok()) return flow.problem();
  event.identifier_hash = flow->identifier_key;
  const int max_attempts = d_.settings.otp.max_attempts;
  auto taken = d_.records.flows.take_attempt(flow_id, max_attempts, d_.host.clock().now_seconds());
  if (!taken.ok()) return store_problem(taken.error(), "flows", Failure::unknown_flow);
  if (!taken.value()) {
    auto again = live_flow(flow_id);  // says why: completed, expired, or out of attempts
    if (!again.ok()) return again.problem();
    return Failure::attempts_exhausted;
  }
  // Wrong codes are also counted per identifier across flows (new flows bring new attempts).
  auto guess = d_.guards.admission.admit_code(flow->identifier_key);
  if (!guess.ok()) return problem(Failure::unavailable, guess.error().message);
  if (guess->refusal) return Failure::codes_locked;
  if (!util::constant_time_equal(d_.hashes.code(flow_id, code), flow->code_mac)) {
    if (flow->attempts + 1 < max_attempts) return Failure::wrong_code;
    if (auto killed = d_.records.flows.kill(flow_id); !killed.ok()) {
      // take_attempt() already refuses further codes; the state only says why sooner.
      d_.reporting.log.warning("ending a flow out of attempts: " + killed.error().message);
    }
    return Failure::attempts_exhausted;
  }
  d_.guards.admission.code_was_right(flow->identifier_key, guess->ticket);
  return finish(flow.value(), nullptr);
}

Outcome<sdk::User> MagicLinkService::user_of(const Flow& flow) {
  sdk::Result<sdk::User> user = sdk::fail(sdk::ErrorCode::not_found, "");
  if (!flow.subject.empty()) {
    user = d_.plugins.users.get(flow.subject);
  } else if (d_.settings.signup) {
    user = d_.plugins.users.create(flow.identifier);  // idempotent: concurrent redeems agree
  }
  if (!user.ok()) return store_problem(user.error(), "user store", Failure::no_user);
  // Disabled after the link was sent (or before a sign-up's link, with signup on).
  if (user->disabled) return Failure::no_user;
  return std::move(user).value();
}

Outcome<SignedIn> MagicLinkService::finish(const Flow& flow, const std::string* link_token) {
  auto pending = before_completion(flow);
  if (!pending.ok()) return pending.problem();
  auto completed = d_.records.flows.complete_after(flow.id, d_.host.clock().now_seconds(),
                                                   consume_link(link_token, pending.value()));
  return after_completion(pending.value(), completed);
}

Outcome<MagicLinkService::PendingSignIn> MagicLinkService::before_completion(const Flow& flow) {
  // Nothing is consumed until everything that can fail for a dependency has succeeded: a user
  // store or signing key that is down leaves the link and the flow as they were.
  auto user = user_of(flow);
  if (!user.ok()) return user.problem();
  auto session = d_.sessions.issue(user.value());
  if (!session.ok()) return problem(Failure::unavailable, "sessions: " + session.error().message);
  return PendingSignIn{std::move(user).value(), std::move(session).value(), flow.redirect_uri,
                       flow.id, std::nullopt};
}

// One winner, for either kind of link and for codes: the flow completes atomically — with the
// link's own consumption where the stores allow (ports.h, complete_after).
std::function<sdk::Result<void>()> MagicLinkService::consume_link(const std::string* link_token,
                                                                  PendingSignIn& pending) {
  return [this, link_token, &pending]() -> sdk::Result<void> {
    if (link_token == nullptr) return sdk::success();
    auto redeemed = d_.plugins.tokens.redeem(*link_token);
    if (redeemed.ok()) return sdk::success();
    pending.link_refused = redeemed.error();
    return sdk::Result<void>(redeemed.error());
  };
}

Outcome<SignedIn> MagicLinkService::after_completion(const PendingSignIn& pending,
                                                     const sdk::Result<bool>& completed) {
  if (pending.link_refused) {
    return token_problem(pending.link_refused->code, pending.link_refused->message);
  }
  if (!completed.ok()) return store_problem(completed.error(), "flows", Failure::unknown_flow);
  if (!completed.value()) return Failure::used;
  counts_.redeemed.add();
  counts_.redeemed_stage.add();
  return SignedIn{pending.user, pending.session, pending.redirect_uri, pending.flow_id};
}

Outcome<FlowStatus> MagicLinkService::status(const std::string& flow_id) {
  auto flow = d_.records.flows.get(flow_id);
  if (!flow.ok()) {
    if (flow.code() == sdk::ErrorCode::not_found) return FlowStatus::expired;
    d_.reporting.log.error("flow status: " + flow.error().message);
    return problem(Failure::unavailable, "flows: " + flow.error().message);
  }
  if (flow->state == FlowState::completed) return FlowStatus::completed;
  if (flow->state != FlowState::pending || d_.host.clock().now_seconds() >= flow->expires_at) {
    return FlowStatus::expired;
  }
  return FlowStatus::pending;
}

}  // namespace linkgate::flow
