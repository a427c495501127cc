// The flow as a domain service, without a socket or a database: every branch of start, preview,
// redeem by link, redeem by code and status, against in-memory fakes and a clock the test moves.

#include "flow/magic_link_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/flow/flow_fakes.h"
#include "flow/abuse_limits.h"
#include "flow/redeem_rules.h"
#include "flow/sign_in_message.h"
#include "limits/rate_limiter.h"
#include "linkgate/testkit/test_host.h"

namespace linkgate::flow {
namespace {

using namespace std::chrono_literals;

config::Settings default_settings() {
  config::Settings s;
  s.server.public_base_url = "https://id.example.com";
  s.templates.dir = std::string(LINKGATE_SOURCE_DIR) + "/configs/templates";
  s.security.redirect_allowlist = {"https://app.example.com/*"};
  s.security.resend_cooldown = config::Duration(0);
  s.security.per_identifier = {100, config::Duration(60'000)};
  s.security.per_client = {100, config::Duration(60'000)};
  return s;
}

class MagicLinkServiceTest : public ::testing::Test {
 protected:
  MagicLinkServiceTest()
      : templates(settings.templates.dir, "en"),
        redirects(settings.security.redirect_allowlist),
        limiter(host.clock()),
        limits(settings.security, limiter),
        service(dependencies(limits)) {
    flows.outbox = &queue;
    routes.push_back({sdk::AddressKind::email, "mail", nullptr, 1});
    users.users["usr_alice"] = {"usr_alice", "alice@example.com", "+15551234567", ""};
  }

  FlowDependencies dependencies(Admission& admission) {
    return FlowDependencies{settings,
                            {tokens, users},
                            {flows, queue},
                            {routes, templates},
                            {redirects, admission},
                            sessions,
                            host,
                            {host.logger(), metrics, audit},
                            KeyedHashes(std::string(32, 's'))};
  }

  StartRequest request(const std::string& identifier, const std::string& channel = "") {
    StartRequest r;
    r.identifier = identifier;
    r.channel = channel;
    r.user_agent = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
    r.client = "192.0.2.1";
    return r;
  }

  /// Starts a sign-in for @p identifier and returns its queued message.
  outbox::OutboxMessage started_message(const std::string& identifier = "alice@example.com") {
    auto started = service.start(request(identifier));
    EXPECT_TRUE(started.ok()) << reason_of(started.failure());
    EXPECT_FALSE(queue.queued.empty());
    return queue.queued.back();
  }

  /// @p m as the outbox worker renders it when it delivers it.
  outbox::OutboxMessage rendered(outbox::OutboxMessage m) {
    render_stored_message(templates, settings, host.clock().now_seconds(), m);
    return m;
  }

  static std::string token_of(const outbox::OutboxMessage& m) {
    return m.link.substr(m.link.find("token=") + 6);
  }

  double metric(const std::string& name, const host::Labels& labels = {}) {
    return metrics.value(name, labels);
  }

  config::Settings settings = default_settings();
  testkit::TestHost host;
  MessageTemplates templates;
  RedirectPolicy redirects;
  outbox::DeliveryRoutes routes;
  limits::MemoryRateLimiter limiter;
  AbuseLimits limits;
  fakes::MemoryQueue queue;
  fakes::MemoryFlows flows;
  fakes::MemoryTokens tokens;
  fakes::MemoryUsers users;
  fakes::CountingSessions sessions;
  fakes::RecordingAudit audit;
  host::MetricsRegistry metrics;
  MagicLinkService service;
};

// ---- start ----

TEST_F(MagicLinkServiceTest, AMessageTheQueueOffersToHoldIsStoredHeldAndHandedToItOnceStored) {
  queue.hold_for = 60;
  settings.signup = false;
  const std::int64_t now = host.clock().now_seconds();
  auto started = service.start(request("alice@example.com"));
  ASSERT_TRUE(started.ok()) << reason_of(started.failure());
  ASSERT_EQ(queue.queued.size(), 1u);
  EXPECT_EQ(queue.queued[0].held_until, now + 60) << "stored as held until then";
  ASSERT_EQ(queue.handed.size(), 1u);
  EXPECT_EQ(queue.handed[0].id, queue.queued[0].id);
  EXPECT_EQ(queue.handed[0].link, queue.queued[0].link);
  EXPECT_EQ(queue.wakes, 0) << "handed, not woken to claim it";
  EXPECT_EQ(queue.reservations, 0);
  // A stranger's discarded message is held and handed alike: the same work after the answer.
  auto stranger = service.start(request("nobody@example.com"));
  ASSERT_TRUE(stranger.ok());
  ASSERT_EQ(queue.handed.size(), 2u);
  EXPECT_EQ(queue.handed[1].channel_index, outbox::kDiscard);
}

TEST_F(MagicLinkServiceTest, AHoldWhoseMessageWasNotStoredIsGivenBack) {
  queue.hold_for = 60;
  flows.is_down = true;
  auto started = service.start(request("alice@example.com"));
  EXPECT_FALSE(started.ok());
  EXPECT_TRUE(queue.handed.empty());
  EXPECT_EQ(queue.given_back, 1);
  EXPECT_EQ(queue.reservations, 0);
}

TEST_F(MagicLinkServiceTest, StartQueuesALinkAndACodeForAUser) {
  auto started = service.start(request("Alice@Example.com"));
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(started->expires_in, 900);
  EXPECT_EQ(started->masked_identifier.find("alice@"), std::string::npos) << "masked";
  ASSERT_EQ(queue.queued.size(), 1u);
  const auto& m = queue.queued[0];
  EXPECT_EQ(m.recipient, "alice@example.com");
  EXPECT_EQ(m.flow_id, started->flow_id);
  EXPECT_EQ(m.link.rfind("https://id.example.com/v1/magic-links/verify?token=tok.", 0), 0u);
  ASSERT_EQ(m.code.size(), 6u);
  EXPECT_EQ(m.subject + m.text + m.html, "") << "stored to be rendered by the outbox worker";
  const auto sent = rendered(m);
  EXPECT_NE(sent.text.find(m.code), std::string::npos);
  EXPECT_NE(sent.text.find(m.link), std::string::npos);
  EXPECT_NE(sent.text.find("15 minutes"), std::string::npos);

  Flow f = flows.at(started->flow_id);
  EXPECT_EQ(f.subject, "usr_alice");
  EXPECT_EQ(f.state, FlowState::pending);
  EXPECT_EQ(f.code_mac, KeyedHashes(std::string(32, 's')).code(f.id, m.code)) << "only a hash";
  EXPECT_EQ(f.device, "Firefox on Linux");
  EXPECT_EQ(f.expires_at, host.clock().now_seconds() + 900);
  EXPECT_EQ(audit.names(), std::vector<std::string>{"link_issued"});
  EXPECT_EQ(audit.events[0].flow_id, f.id);
  EXPECT_EQ(audit.events[0].identifier_hash, f.identifier_key);
  EXPECT_EQ(metric("linkgate_links_issued_total"), 1);
}

TEST_F(MagicLinkServiceTest, NoIdStartsWithADashThatACommandLineWouldTakeForAnOption) {
  // One random id in 64 would start with '-': 450 starts without the guard pass by chance
  // with a probability under 0.1 %.
  for (int u = 0; u < 5; ++u) {
    const std::string address = "user" + std::to_string(u) + "@example.com";
    users.users["usr_" + std::to_string(u)] = {"usr_" + std::to_string(u), address, "", ""};
    for (int i = 0; i < 90; ++i) {
      auto r = request(address);
      r.client = "192.0.2." + std::to_string(u + 10);  // under the per-client limit
      ASSERT_TRUE(service.start(r).ok()) << u << " " << i;
    }
  }
  ASSERT_EQ(queue.queued.size(), 450u);
  for (const auto& m : queue.queued) {
    EXPECT_NE(m.id.front(), '-') << m.id;
    EXPECT_NE(m.flow_id.front(), '-') << m.flow_id;
  }
}

// Rows keyed by a later start go onto the end of the flows' and the outbox's id indexes, not
// onto a random page of each (util::time_ordered_id).
TEST_F(MagicLinkServiceTest, AStartLaterThanAnotherHasFlowAndMessageIdsThatSortAfterItsOwn) {
  auto first = service.start(request("alice@example.com"));
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  auto second = service.start(request("alice@example.com"));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_LT(first->flow_id, second->flow_id);
  ASSERT_EQ(queue.queued.size(), 2u);
  EXPECT_LT(queue.queued[0].id, queue.queued[1].id);
  EXPECT_GE(first->flow_id.size(), 12u + 22u) << "at least 128 random bits after the clock";
}

TEST_F(MagicLinkServiceTest, StartForAStrangerAnswersAlikeAndSendsNothing) {
  auto known = service.start(request("alice@example.com"));
  auto stranger = service.start(request("nobody@example.com"));
  ASSERT_TRUE(known.ok());
  ASSERT_TRUE(stranger.ok());
  EXPECT_EQ(stranger->expires_in, known->expires_in);
  EXPECT_EQ(stranger->flow_id.size(), known->flow_id.size());
  EXPECT_EQ(queue.queued.size(), 1u);
  EXPECT_EQ(queue.suppressed, std::vector<std::string>{stranger->flow_id});
  EXPECT_FALSE(flows.at(stranger->flow_id).deliverable);
  // Stored whole, like the user's, to be discarded unsent: the same write and the same work.
  ASSERT_EQ(queue.discarded.size(), 1u);
  EXPECT_EQ(queue.discarded[0].channel_index, outbox::kDiscard);
  EXPECT_FALSE(queue.discarded[0].link.empty());
  EXPECT_FALSE(queue.discarded[0].code.empty());
  EXPECT_EQ(queue.discarded[0].link.size(), queue.queued[0].link.size());
  EXPECT_NEAR(static_cast<double>(rendered(queue.discarded[0]).html.size()),
              static_cast<double>(rendered(queue.queued[0]).html.size()), 16);
  EXPECT_EQ(queue.wakes, 2);
  EXPECT_EQ(audit.names(), (std::vector<std::string>{"link_issued", "link_issued"}));
}

TEST_F(MagicLinkServiceTest, StartWithSignupSendsToAStranger) {
  settings.signup = true;
  auto m = started_message("new@example.com");
  EXPECT_EQ(m.recipient, "new@example.com");
  EXPECT_TRUE(flows.at(m.flow_id).subject.empty()) << "the user is made when the link is used";
}

TEST_F(MagicLinkServiceTest, StartNotifiesAStrangerWithoutALinkWhenAskedTo) {
  settings.security.notify_unknown = true;
  auto m = started_message("nobody@example.com");
  EXPECT_TRUE(m.link.empty());
  EXPECT_TRUE(m.code.empty());
  const auto sent = rendered(m);
  EXPECT_EQ(sent.text.find("token="), std::string::npos);
  EXPECT_NE(sent.text.find("no account"), std::string::npos);
  EXPECT_FALSE(sent.subject.empty());
}

// An operator disabled Alice: she is answered like a stranger — the same 202, a message stored
// and discarded — even with sign-up on (no second account) and notices on (she has an account).
TEST_F(MagicLinkServiceTest, ADisabledUserIsAnsweredLikeAStrangerAndSentNothing) {
  users.users["usr_alice"].disabled = true;
  for (const bool signup : {false, true}) {
    settings.signup = signup;
    settings.security.notify_unknown = true;
    auto started = service.start(request("alice@example.com"));
    ASSERT_TRUE(started.ok());
    EXPECT_TRUE(queue.queued.empty()) << "signup " << signup;
    EXPECT_EQ(queue.suppressed.back(), started->flow_id);
    EXPECT_FALSE(flows.at(started->flow_id).deliverable);
    EXPECT_EQ(queue.discarded.back().channel_index, outbox::kDiscard);
    EXPECT_FALSE(queue.discarded.back().link.empty()) << "a link-sized message, not a notice";
  }
  EXPECT_EQ(users.users.size(), 1u);
}

TEST_F(MagicLinkServiceTest, StartRefusesMalformedInput) {
  EXPECT_EQ(service.start(request("not an address")).failure(), Failure::invalid_request);
  EXPECT_EQ(service.start(request("alice@example.com", "pigeon")).failure(),
            Failure::invalid_request);
  auto r = request("alice@example.com");
  r.redirect_uri = "https://evil.example.com/";
  EXPECT_EQ(service.start(r).failure(), Failure::redirect_not_allowed);
  r.redirect_uri = "https://app.example.com/done";
  EXPECT_TRUE(service.start(r).ok());
  EXPECT_EQ(metric("linkgate_links_rejected_total", {{"reason", "redirect_not_allowed"}}), 1);
  EXPECT_EQ(queue.queued.size(), 1u) << "nothing queued for a refused start";
}

TEST_F(MagicLinkServiceTest, AChannelWithoutARouteIsRefusedForUsersAndStrangersAlike) {
  // Only e-mail is configured; alice has a phone number, the stranger does not exist.
  for (const char* who : {"alice@example.com", "nobody@example.com"}) {
    auto asked_sms = service.start(request(who, "sms"));
    ASSERT_FALSE(asked_sms.ok()) << who;
    EXPECT_EQ(asked_sms.problem(), problem(Failure::channel_unavailable, "phone")) << who;
  }
  for (const char* who : {"+15551234567", "+15559999999"}) {
    auto by_email = service.start(request(who, "email"));
    ASSERT_FALSE(by_email.ok()) << who;
    EXPECT_EQ(by_email.failure(), Failure::channel_unavailable) << who;
  }
  EXPECT_TRUE(queue.queued.empty());
}

TEST_F(MagicLinkServiceTest, AskingForTextsSendsToTheUsersPhoneWithAShortLink) {
  routes.push_back({sdk::AddressKind::phone, "sms", nullptr, 1});
  tokens.padding = 300;  // as long as an ES256 JWT: too long for two SMS segments
  auto started = service.start(request("alice@example.com", "sms"));
  ASSERT_TRUE(started.ok());
  const auto& m = queue.queued.back();
  EXPECT_EQ(m.kind, sdk::AddressKind::phone);
  EXPECT_EQ(m.recipient, "+15551234567");
  EXPECT_EQ(m.channel_index, 1);
  const std::string token = token_of(m);
  EXPECT_TRUE(is_short_link(token)) << token;
  EXPECT_FALSE(flows.at(m.flow_id).short_key_mac.empty());
  // A stranger asking for texts by e-mail address gets the e-mail, and the same answer.
  EXPECT_TRUE(service.start(request("nobody@example.com", "sms")).ok());
}

TEST_F(MagicLinkServiceTest, TheSmsBudgetIsChargedForTextsAskedByEmailAddress) {
  routes.push_back({sdk::AddressKind::phone, "sms", nullptr, 1});
  settings.security.sms_budget = {1, config::Duration(3'600'000)};
  ASSERT_TRUE(service.start(request("alice@example.com", "sms")).ok());
  auto refused = service.start(request("alice@example.com", "sms"));
  ASSERT_EQ(refused.failure(), Failure::rate_limited);
  EXPECT_EQ(refused.problem().detail, "sms_budget");
  EXPECT_EQ(service.start(request("nobody@example.com", "sms")).failure(), Failure::rate_limited)
      << "charged alike for a stranger";
  EXPECT_TRUE(service.start(request("alice@example.com")).ok()) << "e-mail is not charged";
}

TEST_F(MagicLinkServiceTest, StartIsRateLimitedPerIdentifierWithARetryAfter) {
  settings.security.per_identifier = {2, config::Duration(60'000)};
  ASSERT_TRUE(service.start(request("alice@example.com")).ok());
  ASSERT_TRUE(service.start(request("ALICE@example.com")).ok());
  auto limited = service.start(request("alice@example.com"));
  ASSERT_EQ(limited.failure(), Failure::rate_limited);
  EXPECT_EQ(limited.problem().detail, "per_identifier");
  EXPECT_GT(limited.problem().retry_after, 0);
  EXPECT_LE(limited.problem().retry_after, 60);  // never longer than the window
  EXPECT_EQ(audit.names().back(), "rate_limited/per_identifier");
  EXPECT_EQ(metric("linkgate_rate_limited_total", {{"reason", "per_identifier"}}), 1);
  EXPECT_EQ(queue.queued.size(), 2u);
}

TEST_F(MagicLinkServiceTest, StartIsUnavailableWhenAnyDependencyIsDown) {
  fakes::DownAdmission down_limits;
  MagicLinkService limited(dependencies(down_limits));
  EXPECT_EQ(limited.start(request("alice@example.com")).failure(), Failure::unavailable);

  users.is_down = true;
  EXPECT_EQ(service.start(request("alice@example.com")).failure(), Failure::unavailable);
  users.is_down = false;

  tokens.issue_fails = sdk::ErrorCode::unavailable;
  EXPECT_EQ(service.start(request("alice@example.com")).failure(), Failure::unavailable);
  tokens.issue_fails = sdk::ErrorCode::internal;
  EXPECT_EQ(service.start(request("alice@example.com")).failure(), Failure::internal);
  tokens.issue_fails = sdk::ErrorCode::none;

  flows.is_down = true;
  auto no_flows = service.start(request("alice@example.com"));
  EXPECT_EQ(no_flows.failure(), Failure::unavailable);
  EXPECT_NE(no_flows.problem().detail.find("flows"), std::string::npos);
  flows.is_down = false;

  queue.is_down = true;
  EXPECT_EQ(service.start(request("alice@example.com")).failure(), Failure::unavailable);
  EXPECT_EQ(service.start(request("nobody@example.com")).failure(), Failure::unavailable);
  queue.is_down = false;

  EXPECT_TRUE(queue.queued.empty());
  EXPECT_EQ(audit.names().back(), "rejected/unavailable");
  bool logged = false;
  for (const auto& line : host.log_lines()) logged |= line.rfind("error: link_issued", 0) == 0;
  EXPECT_TRUE(logged) << "the operator is told which dependency failed";
}

// start_then(): a refusal is answered at once; otherwise the finish comes once the rows are
// stored, and only running it counts the start, notes it in the audit log and gives the answer.
TEST_F(MagicLinkServiceTest, AStartThatDoesNotWaitForItsCommitIsFinishedByWhoeverGetsTheFinish) {
  std::vector<MagicLinkService::FinishStart> finishes;
  auto keep = [&finishes](MagicLinkService::FinishStart f) { finishes.push_back(std::move(f)); };

  auto refused = service.start_then(request("not an address"), keep);
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->failure(), Failure::invalid_request);
  EXPECT_TRUE(finishes.empty());

  const auto issued_before = metric("linkgate_links_issued_total");
  auto later = service.start_then(request("alice@example.com"), keep);
  EXPECT_FALSE(later.has_value());
  ASSERT_EQ(finishes.size(), 1u) << "the memory store commits before create_then returns";
  EXPECT_EQ(queue.queued.size(), 1u) << "stored with the flow";
  EXPECT_EQ(metric("linkgate_links_issued_total"), issued_before) << "counted by the finish";
  EXPECT_TRUE(audit.events.empty());
  const auto started = finishes.front()();
  ASSERT_TRUE(started.ok());
  EXPECT_EQ(started->flow_id, queue.queued.back().flow_id);
  EXPECT_EQ(metric("linkgate_links_issued_total"), issued_before + 1);
  ASSERT_EQ(audit.names(), std::vector<std::string>{"link_issued"});
  EXPECT_EQ(audit.events.back().flow_id, started->flow_id);
  EXPECT_FALSE(audit.events.back().identifier_hash.empty());

  flows.is_down = true;
  finishes.clear();
  EXPECT_FALSE(service.start_then(request("alice@example.com"), keep).has_value());
  ASSERT_EQ(finishes.size(), 1u);
  const auto failed = finishes.front()();
  EXPECT_EQ(failed.failure(), Failure::unavailable);
  EXPECT_NE(failed.problem().detail.find("flows"), std::string::npos);
  EXPECT_EQ(audit.names().back(), "rejected/unavailable");
  flows.is_down = false;
}

TEST_F(MagicLinkServiceTest, ANewLinkSupersedesTheLastOne) {
  auto first = started_message();
  auto second = started_message();
  EXPECT_EQ(flows.at(first.flow_id).state, FlowState::superseded);
  EXPECT_EQ(service.redeem_link(token_of(first), "", "192.0.2.1").failure(), Failure::superseded);
  EXPECT_TRUE(service.redeem_link(token_of(second), "", "192.0.2.1").ok());
  settings.verify.supersede_previous = false;
  auto third = started_message();
  auto fourth = started_message();
  EXPECT_EQ(flows.at(third.flow_id).state, FlowState::pending);
}

TEST_F(MagicLinkServiceTest, AStartNeverSweepsOnTheRequestPath) {
  settings.security.per_identifier = {100000, config::Duration(60'000)};
  settings.security.per_client = {100000, config::Duration(60'000)};
  ASSERT_TRUE(service.start(request("alice@example.com")).ok());
  host.test_clock().advance(std::chrono::hours(48));
  for (int i = 0; i < 1100; ++i) ASSERT_TRUE(service.start(request("alice@example.com")).ok());
  EXPECT_EQ(flows.size(), 1101u) << "expired flows go with the outbox worker's housekeeping";
}

// ---- preview ----

TEST_F(MagicLinkServiceTest, PreviewShowsTheRequestAndConsumesNothing) {
  auto m = started_message();
  auto seen = service.preview(token_of(m), "");
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->grant.flow_id, m.flow_id);
  EXPECT_EQ(seen->device, "Firefox on Linux");
  EXPECT_EQ(seen->requested_at, host.clock().now_seconds());
  EXPECT_FALSE(seen->same_browser);
  EXPECT_TRUE(service.preview(token_of(m), m.flow_id)->same_browser);
  EXPECT_FALSE(tokens.was_redeemed(token_of(m)));
  EXPECT_EQ(flows.at(m.flow_id).state, FlowState::pending);
  EXPECT_TRUE(service.redeem_link(token_of(m), "", "192.0.2.1").ok());
  EXPECT_EQ(service.preview(token_of(m), "").failure(), Failure::used);
}

TEST_F(MagicLinkServiceTest, PreviewRefusesBadExpiredAndUnavailable) {
  auto m = started_message();
  EXPECT_EQ(service.preview("tok.nothing", "").failure(), Failure::invalid_token);
  tokens.inspect_fails = sdk::ErrorCode::unavailable;
  EXPECT_EQ(service.preview(token_of(m), "").failure(), Failure::unavailable);
  tokens.inspect_fails = sdk::ErrorCode::none;
  flows.is_down = true;
  EXPECT_EQ(service.preview(token_of(m), "").failure(), Failure::unavailable);
  flows.is_down = false;
  host.test_clock().advance(901s);
  EXPECT_EQ(service.preview(token_of(m), "").failure(), Failure::expired);
}

TEST_F(MagicLinkServiceTest, PreviewOfAShortLink) {
  routes.push_back({sdk::AddressKind::phone, "sms", nullptr, 1});
  tokens.padding = 300;
  auto m = started_message("+15551234567");
  auto seen = service.preview(token_of(m), "");
  ASSERT_TRUE(seen.ok());
  EXPECT_EQ(seen->grant.flow_id, m.flow_id);
  EXPECT_EQ(service.preview("c.AAAAAAAAAAAAAAAAAAAAAA", "").failure(), Failure::invalid_token);
}

// ---- redeem a link ----

// redeem_link_then(): a link refused before anything is written is answered at once; otherwise
// the finish gives what redeem_link() would — once, and the second redeem of the link is "used".
TEST_F(MagicLinkServiceTest, ARedeemThatDoesNotWaitForItsCommitSignsInOnceThroughItsFinish) {
  ASSERT_TRUE(service.start(request("alice@example.com")).ok());
  const auto m = queue.queued.back();
  std::vector<MagicLinkService::FinishSignIn> finishes;
  auto keep = [&finishes](MagicLinkService::FinishSignIn f) { finishes.push_back(std::move(f)); };

  auto bad = service.redeem_link_then("not-a-token", "", "192.0.2.1", keep);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->failure(), Failure::invalid_token);
  EXPECT_TRUE(finishes.empty());

  EXPECT_FALSE(service.redeem_link_then(token_of(m), "", "192.0.2.1", keep).has_value());
  ASSERT_EQ(finishes.size(), 1u);
  EXPECT_EQ(flows.at(m.flow_id).state, FlowState::completed) << "committed before the finish";
  EXPECT_EQ(metric("linkgate_links_redeemed_total"), 0) << "counted by the finish";
  const auto in = finishes.front()();
  ASSERT_TRUE(in.ok()) << reason_of(in.failure());
  EXPECT_EQ(in->user.id, "usr_alice");
  EXPECT_EQ(in->flow_id, m.flow_id);
  EXPECT_EQ(metric("linkgate_links_redeemed_total"), 1);
  EXPECT_EQ(audit.names(),
            (std::vector<std::string>{"link_issued", "rejected/invalid", "link_redeemed"}));
  EXPECT_EQ(audit.events.back().subject, "usr_alice");

  finishes.clear();
  auto again = service.redeem_link_then(token_of(m), "", "192.0.2.1", keep);
  if (again) {
    EXPECT_EQ(again->failure(), Failure::used);  // the flow is no longer live
  } else {
    ASSERT_EQ(finishes.size(), 1u);
    EXPECT_EQ(finishes.front()().failure(), Failure::used);
  }
  EXPECT_EQ(audit.names().back(), "rejected/used");
}

TEST_F(MagicLinkServiceTest, ALinkSignsInOnce) {
  settings.security.redirect_allowlist = {"https://app.example.com/*"};
  auto r = request("alice@example.com");
  r.redirect_uri = "https://app.example.com/done";
  ASSERT_TRUE(service.start(r).ok());
  const auto m = queue.queued.back();
  auto in = service.redeem_link(token_of(m), "", "192.0.2.1");
  ASSERT_TRUE(in.ok()) << reason_of(in.failure());
  EXPECT_EQ(in->user.id, "usr_alice");
  EXPECT_EQ(in->session.token, "session-for-usr_alice");
  EXPECT_EQ(in->redirect_uri, "https://app.example.com/done");
  EXPECT_EQ(in->flow_id, m.flow_id);
  EXPECT_EQ(flows.at(m.flow_id).state, FlowState::completed);
  EXPECT_EQ(service.redeem_link(token_of(m), "", "192.0.2.1").failure(), Failure::used);
  EXPECT_EQ(audit.names(),
            (std::vector<std::string>{"link_issued", "link_redeemed", "rejected/used"}));
  EXPECT_EQ(audit.events[1].subject, "usr_alice");
  EXPECT_EQ(audit.events[1].flow_id, m.flow_id);
  EXPECT_EQ(audit.events[1].client, "192.0.2.1");
  EXPECT_EQ(metric("linkgate_links_redeemed_total"), 1);
  EXPECT_EQ(metric("linkgate_links_rejected_total", {{"reason", "used"}}), 1);
}

TEST_F(MagicLinkServiceTest, ARedeemLeavesUsedToTheFlowAndTheTokensRedeem) {
  auto m = started_message();
  ASSERT_TRUE(service.redeem_link(token_of(m), "", "192.0.2.1").ok());
  EXPECT_EQ(tokens.inspected_for_redeem, 1);
  EXPECT_EQ(tokens.inspected, 0) << "a redeem asks the token no more than it needs";
  EXPECT_EQ(service.redeem_link(token_of(m), "", "192.0.2.1").failure(), Failure::used)
      << "the completed flow refuses it";

  // Stores that do not complete with the token's own record (a token consumed, its flow still
  // pending after a failed write): the token's redeem() in the completion refuses it.
  users.users["usr_bob"] = {"usr_bob", "bob@example.com", "", ""};
  auto other = started_message("bob@example.com");
  ASSERT_TRUE(tokens.redeem(token_of(other)).ok());
  EXPECT_EQ(service.redeem_link(token_of(other), "", "192.0.2.1").failure(), Failure::used);
  EXPECT_EQ(flows.at(other.flow_id).state, FlowState::pending);
  EXPECT_EQ(metric("linkgate_links_redeemed_total"), 1);

  auto previewed = service.preview(token_of(other), "", "");
  EXPECT_EQ(previewed.failure(), Failure::used) << "the confirm page asks inspect()";
  EXPECT_EQ(tokens.inspected, 1);
}

TEST_F(MagicLinkServiceTest, ALinkOfTheFlowsOwnCompletesItEvenIfTheTokenWasNotRedeemed) {
  // Two links of one flow can exist only if a strategy misbehaves; the flow still wins once.
  auto m = started_message();
  auto in = service.redeem_code(m.flow_id, m.code, "192.0.2.1");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(service.redeem_link(token_of(m), "", "192.0.2.1").failure(), Failure::used);
}

TEST_F(MagicLinkServiceTest, SignupMakesTheUserWhenTheLinkIsUsed) {
  settings.signup = true;
  auto m = started_message("new@example.com");
  EXPECT_EQ(users.users.size(), 1u) << "nobody is made for merely asking";
  auto in = service.redeem_link(token_of(m), "", "192.0.2.1");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->user.email, "new@example.com");
  EXPECT_EQ(users.users.size(), 2u);
}

TEST_F(MagicLinkServiceTest, ALinkWhoseUserIsGoneOrNeverWasSignsNobodyIn) {
  auto m = started_message();
  users.users.erase("usr_alice");
  EXPECT_EQ(service.redeem_link(token_of(m), "", "192.0.2.1").failure(), Failure::no_user);
  EXPECT_EQ(metric("linkgate_links_rejected_total", {{"reason", "no_user"}}), 1);
}

TEST_F(MagicLinkServiceTest, ALinkOrCodeSentBeforeTheUserWasDisabledSignsNobodyIn) {
  auto m = started_message();
  users.users["usr_alice"].disabled = true;
  EXPECT_EQ(service.redeem_link(token_of(m), "", "192.0.2.1").failure(), Failure::no_user);
  EXPECT_EQ(service.redeem_code(m.flow_id, m.code, "192.0.2.1").failure(), Failure::no_user);
  EXPECT_EQ(sessions.issued, 0);
  users.users["usr_alice"].disabled = false;
  EXPECT_TRUE(service.redeem_link(token_of(m), "", "192.0.2.1").ok())
      << "refusing consumed nothing: enabled again, the link still works";
}

TEST_F(MagicLinkServiceTest, RedeemRefusesTamperedExpiredAndOtherBrowsers) {
  auto m = started_message();
  EXPECT_EQ(service.redeem_link(token_of(m) + "x", "", "192.0.2.1").failure(),
            Failure::invalid_token);
  settings.verify.require_same_browser = true;
  EXPECT_EQ(service.redeem_link(token_of(m), "", "192.0.2.1").failure(), Failure::other_browser);
  EXPECT_EQ(service.redeem_link(token_of(m), "another-flow", "192.0.2.1").failure(),
            Failure::other_browser);
  EXPECT_FALSE(tokens.was_redeemed(token_of(m))) << "a refused browser consumes nothing";
  EXPECT_TRUE(service.redeem_link(token_of(m), m.flow_id, "192.0.2.1").ok());
  settings.verify.require_same_browser = false;

  auto late = started_message();
  host.test_clock().advance(900s);
  EXPECT_EQ(service.redeem_link(token_of(late), "", "192.0.2.1").failure(), Failure::expired);
  tokens.inspect_fails = sdk::ErrorCode::expired;
  EXPECT_EQ(service.redeem_link(token_of(late), "", "192.0.2.1").failure(), Failure::expired);
  tokens.inspect_fails = sdk::ErrorCode::internal;
  EXPECT_EQ(service.redeem_link(token_of(late), "", "192.0.2.1").failure(), Failure::internal);
}

TEST_F(MagicLinkServiceTest, ADependencyThatFailsDuringARedeemLeavesTheLinkRedeemable) {
  auto m = started_message();
  const std::string token = token_of(m);

  users.is_down = true;
  EXPECT_EQ(service.redeem_link(token, "", "192.0.2.1").failure(), Failure::unavailable);
  users.is_down = false;

  sessions.is_down = true;
  EXPECT_EQ(service.redeem_link(token, "", "192.0.2.1").failure(), Failure::unavailable);
  sessions.is_down = false;

  tokens.redeem_fails = sdk::ErrorCode::unavailable;
  EXPECT_EQ(service.redeem_link(token, "", "192.0.2.1").failure(), Failure::unavailable);
  tokens.redeem_fails = sdk::ErrorCode::none;

  flows.is_down = true;
  EXPECT_EQ(service.redeem_link(token, "", "192.0.2.1").failure(), Failure::unavailable);
  flows.is_down = false;

  EXPECT_EQ(flows.at(m.flow_id).state, FlowState::pending);
  auto in = service.redeem_link(token, "", "192.0.2.1");
  ASSERT_TRUE(in.ok()) << reason_of(in.failure());
  EXPECT_EQ(in->user.id, "usr_alice");
}

TEST_F(MagicLinkServiceTest, AShortLinkSignsInOnce) {
  routes.push_back({sdk::AddressKind::phone, "sms", nullptr, 1});
  tokens.padding = 300;
  auto m = started_message("+15551234567");
  const std::string token = token_of(m);
  ASSERT_TRUE(is_short_link(token));
  auto in = service.redeem_link(token, "", "192.0.2.1");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->user.phone, "+15551234567");
  EXPECT_EQ(service.redeem_link(token, "", "192.0.2.1").failure(), Failure::used);
  EXPECT_EQ(service.redeem_link("c.BBBBBBBBBBBBBBBBBBBBBB", "", "192.0.2.1").failure(),
            Failure::invalid_token);
}

TEST_F(MagicLinkServiceTest, RedeemsAreRateLimitedPerClient) {
  settings.security.per_client = {2, config::Duration(60'000)};
  auto m = started_message();
  EXPECT_EQ(service.redeem_link("tok.x", "", "198.51.100.7").failure(), Failure::invalid_token);
  EXPECT_EQ(service.redeem_code("flow", "000000", "198.51.100.7").failure(), Failure::unknown_flow);
  auto limited = service.redeem_link(token_of(m), "", "198.51.100.7");
  EXPECT_EQ(limited.failure(), Failure::rate_limited);
  EXPECT_EQ(limited.problem().detail, "per_client");
  EXPECT_EQ(audit.names().back(), "rate_limited/per_client");
  EXPECT_TRUE(service.redeem_link(token_of(m), "", "192.0.2.1").ok()) << "another client";

  fakes::DownAdmission down_limits;
  MagicLinkService unlimited(dependencies(down_limits));
  EXPECT_EQ(unlimited.redeem_link(token_of(m), "", "192.0.2.1").failure(), Failure::unavailable);
  EXPECT_EQ(unlimited.redeem_code(m.flow_id, m.code, "192.0.2.1").failure(), Failure::unavailable);
}

// ---- redeem a code ----

TEST_F(MagicLinkServiceTest, TheRightCodeSignsInOnce) {
  auto m = started_message();
  auto in = service.redeem_code(m.flow_id, m.code, "192.0.2.1");
  ASSERT_TRUE(in.ok());
  EXPECT_EQ(in->user.id, "usr_alice");
  EXPECT_EQ(service.redeem_code(m.flow_id, m.code, "192.0.2.1").failure(), Failure::used);
  EXPECT_EQ(service.redeem_link(token_of(m), "", "192.0.2.1").failure(), Failure::used);
  EXPECT_EQ(audit.names()[1], "code_redeemed");
}

TEST_F(MagicLinkServiceTest, WrongCodesAreCountedAndEndTheFlow) {
  auto m = started_message();
  const std::string wrong = m.code == "000000" ? "111111" : "000000";
  for (int i = 0; i < 4; ++i) {
    auto refused = service.redeem_code(m.flow_id, wrong, "192.0.2.1");
    EXPECT_EQ(refused.failure(), Failure::wrong_code) << i;
  }
  EXPECT_EQ(service.redeem_code(m.flow_id, wrong, "192.0.2.1").failure(),
            Failure::attempts_exhausted);
  EXPECT_EQ(flows.at(m.flow_id).state, FlowState::dead);
  EXPECT_EQ(service.redeem_code(m.flow_id, m.code, "192.0.2.1").failure(),
            Failure::attempts_exhausted)
      << "not even the right code after that";
  EXPECT_EQ(service.redeem_link(token_of(m), "", "192.0.2.1").failure(),
            Failure::attempts_exhausted);
  EXPECT_EQ(metric("linkgate_codes_rejected_total"), 4);
  EXPECT_EQ(audit.names()[1], "rejected/wrong_code");
}

// The issue's finding: 5 wrong codes per flow but a new flow every few minutes gave ~2,400
// guesses a day. Wrong codes now also count per identifier across flows.
TEST_F(MagicLinkServiceTest, WrongCodesAcrossFlowsLockCodesForTheIdentifierButNotLinks) {
  settings.security.wrong_codes = {6, config::Duration(24 * 3'600'000)};
  outbox::OutboxMessage m;
  for (int flow = 0; flow < 2; ++flow) {  // 4 wrong in the first flow, 2 in the second
    m = started_message();
    const std::string wrong = m.code == "000000" ? "111111" : "000000";
    for (int i = 0; i < (flow == 0 ? 4 : 2); ++i) {
      EXPECT_EQ(service.redeem_code(m.flow_id, wrong, "192.0.2.1").failure(), Failure::wrong_code);
    }
  }
  // The seventh guess, even the right code, is refused: the identifier is locked for codes.
  EXPECT_EQ(service.redeem_code(m.flow_id, m.code, "192.0.2.1").failure(), Failure::codes_locked);
  EXPECT_EQ(audit.names().back(), "rejected/wrong_codes_limit");
  EXPECT_EQ(metric("linkgate_links_rejected_total", {{"reason", "wrong_codes_limit"}}), 1);
  // A fresh flow's code too — and someone else's codes are not affected.
  auto fresh = started_message();
  EXPECT_EQ(service.redeem_code(fresh.flow_id, fresh.code, "192.0.2.1").failure(),
            Failure::codes_locked);
  users.users["usr_bob"] = {"usr_bob", "bob@example.com", "", ""};
  auto bobs = started_message("bob@example.com");
  EXPECT_TRUE(service.redeem_code(bobs.flow_id, bobs.code, "192.0.2.1").ok());
  // The link still works.
  EXPECT_TRUE(service.redeem_link(token_of(fresh), "", "192.0.2.1").ok());
  // After the window, codes work again.
  host.test_clock().advance(std::chrono::hours(24));
  auto later = started_message();
  EXPECT_TRUE(service.redeem_code(later.flow_id, later.code, "192.0.2.1").ok());
}

TEST_F(MagicLinkServiceTest, RightCodesDoNotCountAsWrong) {
  settings.security.wrong_codes = {2, config::Duration(24 * 3'600'000)};
  for (int i = 0; i < 5; ++i) {
    auto m = started_message();
    EXPECT_TRUE(service.redeem_code(m.flow_id, m.code, "192.0.2.1").ok()) << i;
  }
}

TEST_F(MagicLinkServiceTest, AttemptsAreRefusedEvenWhenTheFlowWasNotMarkedDead) {
  auto m = started_message();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(flows.take_attempt(m.flow_id, 5, 0).value());
  EXPECT_EQ(service.redeem_code(m.flow_id, m.code, "192.0.2.1").failure(),
            Failure::attempts_exhausted);
}

TEST_F(MagicLinkServiceTest, CodeRequestsOfTheWrongShapeAreRefusedBeforeAnyLookup) {
  auto m = started_message();
  flows.is_down = true;  // proves no lookup happens
  EXPECT_EQ(service.redeem_code("", m.code, "192.0.2.1").failure(), Failure::invalid_request);
  EXPECT_EQ(service.redeem_code(std::string(65, 'f'), m.code, "192.0.2.1").failure(),
            Failure::invalid_request);
  EXPECT_EQ(service.redeem_code(m.flow_id, "12345", "192.0.2.1").failure(),
            Failure::invalid_request);
  EXPECT_EQ(service.redeem_code(m.flow_id, "12345a", "192.0.2.1").failure(),
            Failure::invalid_request);
  flows.is_down = false;
  EXPECT_EQ(service.redeem_code("no-such-flow", "123456", "192.0.2.1").failure(),
            Failure::unknown_flow);
}

TEST_F(MagicLinkServiceTest, ADependencyThatFailsDuringACodeRedeemLeavesTheFlowPending) {
  auto m = started_message();
  users.is_down = true;
  EXPECT_EQ(service.redeem_code(m.flow_id, m.code, "192.0.2.1").failure(), Failure::unavailable);
  users.is_down = false;
  flows.is_down = true;
  EXPECT_EQ(service.redeem_code(m.flow_id, m.code, "192.0.2.1").failure(), Failure::unavailable);
  flows.is_down = false;
  EXPECT_EQ(flows.at(m.flow_id).state, FlowState::pending);
  EXPECT_TRUE(service.redeem_code(m.flow_id, m.code, "192.0.2.1").ok());
}

TEST_F(MagicLinkServiceTest, AnExpiredCodeIsRefused) {
  auto m = started_message();
  host.test_clock().advance(900s);
  EXPECT_EQ(service.redeem_code(m.flow_id, m.code, "192.0.2.1").failure(), Failure::expired);
}

// ---- status ----

TEST_F(MagicLinkServiceTest, StatusFollowsTheFlow) {
  auto m = started_message();
  EXPECT_EQ(service.status(m.flow_id).value(), FlowStatus::pending);
  ASSERT_TRUE(service.redeem_code(m.flow_id, m.code, "192.0.2.1").ok());
  EXPECT_EQ(service.status(m.flow_id).value(), FlowStatus::completed);
  auto later = started_message();
  host.test_clock().advance(900s);
  EXPECT_EQ(service.status(later.flow_id).value(), FlowStatus::expired);
  EXPECT_EQ(service.status("no-such-flow").value(), FlowStatus::expired);
  auto superseded = started_message();
  started_message();
  EXPECT_EQ(service.status(superseded.flow_id).value(), FlowStatus::expired);
}

TEST_F(MagicLinkServiceTest, StatusIsUnavailableWhenTheFlowStoreIsDown) {
  auto m = started_message();
  flows.is_down = true;
  auto status = service.status(m.flow_id);
  ASSERT_FALSE(status.ok()) << "not 'pending': the waiting page must not be told a guess";
  EXPECT_EQ(status.failure(), Failure::unavailable);
}

}  // namespace
}  // namespace linkgate::flow
