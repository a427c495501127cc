#include "outbox/outbox_worker.h"

#include <gtest/gtest.h>
#include <filesystem>

#include <atomic>
#include <map>
#include <sstream>
#include <thread>

#include "host/host_services.h"
#include "outbox/message_queue.h"
#include "support/temp_dir.h"
#include "util/after_answer.h"

namespace linkgate::outbox {
namespace {

// A channel whose answers the test scripts.
class ScriptedChannel final : public sdk::DeliveryChannel {
 public:
  std::vector<sdk::ErrorCode> script;  // answer per call; none left = success
  std::vector<sdk::Message> seen;
  bool throw_instead = false;
  sdk::Result<void> send(const sdk::Message& m) override {
    seen.push_back(m);
    if (throw_instead) throw std::runtime_error("boom");
    if (seen.size() <= script.size() && script[seen.size() - 1] != sdk::ErrorCode::none) {
      return sdk::fail(script[seen.size() - 1], "scripted failure");
    }
    return sdk::success();
  }
  sdk::Result<void> ready() override { return sdk::success(); }
};

class OutboxWorkerTest : public ::testing::Test {
 protected:
  OutboxMessage message(sdk::AddressKind kind = sdk::AddressKind::email) {
    OutboxMessage m;
    m.id = "m" + std::to_string(++next_);
    m.flow_id = "f";
    m.kind = kind;
    m.recipient = "a@example.com";
    m.link = "L";
    m.code = "C";
    m.expires_at = clock.now_seconds() + 900;
    return m;
  }
  OutboxWorker worker(DeliveryRoutes routes, int attempts = 3) {
    WorkerSettings s;
    s.max_attempts = attempts;
    s.backoff = {std::chrono::seconds(2), std::chrono::seconds(60)};
    return OutboxWorker(store, std::move(routes), s, log, metrics, clock);
  }

  /// A worker whose store is asked on its own schedule once an hour, with claims of
  /// @p claim_batch, sending through a channel that accepts everything.
  OutboxWorker rarely_polling_worker(int claim_batch = 8) {
    WorkerSettings s;
    s.poll_interval = std::chrono::hours(1);
    s.claim_batch = claim_batch;
    return OutboxWorker(
        store, {{sdk::AddressKind::email, "scripted", std::make_shared<ScriptedChannel>(), 1}}, s,
        log, metrics, clock);
  }

  /// A message as a start leaves it: held by @p w, stored held, handed over.
  OutboxMessage held_message(OutboxWorker& w) {
    auto m = message();
    m.held_until = w.hold(clock.now_seconds());
    EXPECT_NE(m.held_until, 0);
    EXPECT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
    w.take_held(m);
    return m;
  }
  /// The message's lease_until and attempts as stored.
  std::pair<std::int64_t, int> lease_and_attempts(const std::string& id) {
    auto lease = db->session();
    std::int64_t until = -1;
    int attempts = -1;
    *lease << "SELECT lease_until, attempts FROM lg_outbox WHERE id = ?",
        Poco::Data::Keywords::useRef(id), Poco::Data::Keywords::into(until),
        Poco::Data::Keywords::into(attempts), Poco::Data::Keywords::now;
    return {until, attempts};
  }

  linkgate::testing::TempDir dir;
  std::shared_ptr<linkgate::sql::Database> db =
      linkgate::sql::Database::open("sqlite:" + dir.file("o.db"));
  std::shared_ptr<OutboxStore> store = std::make_shared<OutboxStore>(db);
  std::ostringstream log_text;
  host::Log log{sdk::LogLevel::debug, false, log_text};
  host::MetricsRegistry metrics;
  host::ManualClock clock;
  int next_ = 0;
};

TEST_F(OutboxWorkerTest, DeliversAndErasesTheBody) {
  auto channel = std::make_shared<ScriptedChannel>();
  auto w = worker({{sdk::AddressKind::email, "scripted", channel, 1}});
  auto m = message();
  ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  EXPECT_EQ(w.drain_once(), 1);
  ASSERT_EQ(channel->seen.size(), 1u);
  EXPECT_EQ(channel->seen[0].link, "L");
  EXPECT_EQ(store->state_of(m.id)->first, "sent");
  EXPECT_EQ(store->body_of(m.id).value(), "");
  EXPECT_EQ(
      metrics.value("linkgate_deliveries_total", {{"channel", "scripted"}, {"outcome", "sent"}}),
      1);
}

// A start's message handed over in memory: stored due only when its hold runs out, sent by the
// next drain without a claim.
TEST_F(OutboxWorkerTest, AHeldMessageIsSentFromMemoryWithoutAClaim) {
  auto channel = std::make_shared<ScriptedChannel>();
  auto w = worker({{sdk::AddressKind::email, "scripted", channel, 1}});
  auto m = message();
  m.held_until = w.hold(clock.now_seconds());
  ASSERT_EQ(m.held_until, clock.now_seconds() + 60) << "held for the lease";
  ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  EXPECT_EQ(lease_and_attempts(m.id), std::make_pair(std::int64_t{0}, 1))
      << "its attempt counted as a claim would";
  EXPECT_TRUE(store->claim_batch(clock.now_seconds(), 60, 8)->empty())
      << "no claim takes it while it is held";
  w.take_held(m);
  EXPECT_EQ(w.drain_once(), 1);
  ASSERT_EQ(channel->seen.size(), 1u);
  EXPECT_EQ(channel->seen[0].id, m.id);
  EXPECT_EQ(channel->seen[0].attempt, 1);
  EXPECT_EQ(store->state_of(m.id)->first, "sent");
  EXPECT_EQ(store->body_of(m.id).value(), "");
  EXPECT_EQ(lease_and_attempts(m.id), std::make_pair(std::int64_t{0}, 1)) << "never claimed";
}

// The process holding it died: nothing takes its row until the hold has run out, then any
// worker does — at least once, as after a claim's lease.
TEST_F(OutboxWorkerTest, AHeldRowIsClaimedOnceItsHoldHasRunOut) {
  auto channel = std::make_shared<ScriptedChannel>();
  auto w = worker({{sdk::AddressKind::email, "scripted", channel, 1}});
  auto m = message();
  m.held_until = clock.now_seconds() + 60;
  ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  EXPECT_EQ(w.drain_once(), 0);
  clock.advance(std::chrono::seconds(59));
  EXPECT_EQ(w.drain_once(), 0);
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(w.drain_once(), 1);
  ASSERT_EQ(channel->seen.size(), 1u);
  EXPECT_EQ(channel->seen[0].attempt, 2) << "the hold counted one";
  EXPECT_EQ(store->state_of(m.id)->first, "sent");
}

// Past half its hold a held message is not sent from memory (its send could still be under way
// when the hold runs out and another sender claims the row): it goes back to the store, due at
// once, and out through a claim.
TEST_F(OutboxWorkerTest, AHeldMessageWhoseHoldIsHalfGoneGoesBackToTheStore) {
  auto channel = std::make_shared<ScriptedChannel>();
  auto w = worker({{sdk::AddressKind::email, "scripted", channel, 1}});
  const auto m = held_message(w);
  clock.advance(std::chrono::seconds(30));
  EXPECT_EQ(w.drain_once(), 1);
  ASSERT_EQ(channel->seen.size(), 1u);
  EXPECT_EQ(channel->seen[0].attempt, 1) << "the hold's attempt given back, the claim's counted";
  EXPECT_GT(lease_and_attempts(m.id).first, 0) << "sent through a claim";
  EXPECT_EQ(store->state_of(m.id)->first, "sent");
}

// Past three quarters, even handing it back could land after another sender took the row: it is
// left to its row, which goes out once the hold has run out.
TEST_F(OutboxWorkerTest, AHeldMessageNearlyAtTheEndOfItsHoldIsLeftToItsRow) {
  auto channel = std::make_shared<ScriptedChannel>();
  auto w = worker({{sdk::AddressKind::email, "scripted", channel, 1}});
  held_message(w);
  clock.advance(std::chrono::seconds(45));
  EXPECT_EQ(w.drain_once(), 0);
  EXPECT_TRUE(channel->seen.empty());
  clock.advance(std::chrono::seconds(15));
  EXPECT_EQ(w.drain_once(), 1);
  EXPECT_EQ(channel->seen.size(), 1u) << "once, from its row";
}

// A slow channel: once the oldest held message has waited a quarter of the lease, new messages
// wait in the store, in order, instead of behind it in memory.
TEST_F(OutboxWorkerTest, NoMessageIsHeldWhileTheOldestHeldHasWaitedAQuarterOfTheLease) {
  auto channel = std::make_shared<ScriptedChannel>();
  auto w = worker({{sdk::AddressKind::email, "scripted", channel, 1}});
  held_message(w);
  clock.advance(std::chrono::seconds(14));
  EXPECT_NE(w.hold(clock.now_seconds()), 0);
  w.release_hold();
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(w.hold(clock.now_seconds()), 0) << "behind";
  EXPECT_EQ(w.drain_once(), 1);
  EXPECT_EQ(w.hold(clock.now_seconds()), clock.now_seconds() + 60) << "caught up";
}

TEST_F(OutboxWorkerTest, StoppingHandsBackTheHeldMessagesNotYetSent) {
  auto channel = std::make_shared<ScriptedChannel>();
  auto w = worker({{sdk::AddressKind::email, "scripted", channel, 1}});
  const auto m = held_message(w);
  auto late = message();  // reserved before the stop, stored after it
  late.held_until = w.hold(clock.now_seconds());
  w.stop();
  EXPECT_TRUE(channel->seen.empty());
  EXPECT_EQ(w.hold(clock.now_seconds()), 0) << "no hold once stopped";
  auto claimed = store->claim_batch(clock.now_seconds(), 60, 8);
  ASSERT_EQ(claimed->size(), 1u) << "pending and due now, for the next start";
  EXPECT_EQ(claimed.value()[0].id, m.id);
  EXPECT_EQ(claimed.value()[0].attempts, 1) << "the hold's attempt given back";
  // Handed over after the stop, a message is left to its row.
  ASSERT_TRUE(store->enqueue(late, clock.now_seconds()).ok());
  w.take_held(late);
  EXPECT_EQ(w.drain_once(), 0);
}

TEST_F(OutboxWorkerTest, HoldsNoMoreMessagesThanItHasRoomFor) {
  auto w = worker({});
  const std::int64_t now = clock.now_seconds();
  for (int i = 0; i < OutboxWorker::kMostHeld; ++i) ASSERT_EQ(w.hold(now), now + 60) << i;
  EXPECT_EQ(w.hold(now), 0) << "full: the next message is stored due at once";
  w.release_hold();
  EXPECT_EQ(w.hold(now), now + 60) << "a hold given back is room again";
}

// Held messages do not keep a stored message that is due waiting behind them.
TEST_F(OutboxWorkerTest, AStoredMessageDueIsSentBesideHeldOnes) {
  auto channel = std::make_shared<ScriptedChannel>();
  auto w = worker({{sdk::AddressKind::email, "scripted", channel, 1}});
  auto stored = message();
  ASSERT_TRUE(store->enqueue(stored, clock.now_seconds()).ok());
  auto held = message();
  held.held_until = w.hold(clock.now_seconds());
  ASSERT_TRUE(store->enqueue(held, clock.now_seconds()).ok());
  w.take_held(held);
  EXPECT_EQ(w.drain_once(), 2);
  EXPECT_EQ(store->state_of(stored.id)->first, "sent");
  EXPECT_EQ(store->state_of(held.id)->first, "sent");
}

// While held messages keep coming, the store is asked only once per poll_interval — not after
// each drain that emptied the hold: a stored message due meanwhile waits for the next look, or
// for notify(), which says one was stored due at once.
TEST_F(OutboxWorkerTest, WhileHeldMessagesFlowTheStoreIsAskedOncePerPollInterval) {
  auto w = rarely_polling_worker();
  held_message(w);
  EXPECT_EQ(w.drain_once(), 1) << "the first look at the store is due at once";
  auto stored = message();
  ASSERT_TRUE(store->enqueue(stored, clock.now_seconds()).ok());
  held_message(w);
  EXPECT_EQ(w.drain_once(), 1) << "the held one only: the next look is an interval away";
  EXPECT_EQ(store->state_of(stored.id)->first, "pending");
  EXPECT_EQ(w.drain_once(), 0) << "nothing held, but messages were handed over lately";
  EXPECT_EQ(store->state_of(stored.id)->first, "pending");
  w.notify();
  EXPECT_EQ(w.drain_once(), 1) << "told: the store is asked";
  EXPECT_EQ(store->state_of(stored.id)->first, "sent");
}

// With nothing handed over since the store was last asked, a drain that finds nothing held asks
// it, as a worker without hand-overs always did.
TEST_F(OutboxWorkerTest, OnceHandOversStopTheStoreIsAskedWheneverNothingIsHeld) {
  auto w = rarely_polling_worker();
  held_message(w);
  EXPECT_EQ(w.drain_once(), 1) << "the held one, and the store's first look";
  auto stored = message();
  ASSERT_TRUE(store->enqueue(stored, clock.now_seconds()).ok());
  EXPECT_EQ(w.drain_once(), 1) << "no hand-over since that look: the store is asked at once";
  EXPECT_EQ(store->state_of(stored.id)->first, "sent");
}

// A held message handed back is claimed in the same drain, though messages are being handed over
// and the store's look is an interval away: it is due now, and older than any held one.
TEST_F(OutboxWorkerTest, AHandBackIsClaimedAtOnceWhileMessagesAreHandedOver) {
  auto w = rarely_polling_worker();
  held_message(w);
  EXPECT_EQ(w.drain_once(), 1) << "the store's first look is taken here";
  const auto late = held_message(w);
  clock.advance(std::chrono::seconds(30));
  EXPECT_EQ(w.drain_once(), 1) << "handed back, then claimed";
  EXPECT_EQ(store->state_of(late.id)->first, "sent");
  EXPECT_GT(lease_and_attempts(late.id).first, 0) << "sent through a claim";
}

// Stored messages due in numbers (a restart's handed-back hold, a channel back after an outage)
// are claimed batch after batch while held ones flow, not one batch per poll_interval.
TEST_F(OutboxWorkerTest, AClaimThatCameBackFullIsFollowedByAnotherWhileHeldMessagesFlow) {
  auto w = rarely_polling_worker(2);
  std::vector<std::string> stored;
  for (int i = 0; i < 5; ++i) {
    auto m = message();
    ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
    stored.push_back(m.id);
  }
  held_message(w);
  EXPECT_EQ(w.drain_once(), 6) << "the held one and all five stored, two at a time";
  for (const auto& id : stored) EXPECT_EQ(store->state_of(id)->first, "sent") << id;
}

TEST_F(OutboxWorkerTest, ReportsHowLongTheOldestUndeliveredMessageHasWaited) {
  auto channel = std::make_shared<ScriptedChannel>();
  channel->script = {sdk::ErrorCode::retryable};
  auto w = worker({{sdk::AddressKind::email, "scripted", channel, 1}});
  ASSERT_TRUE(store->enqueue(message(), clock.now_seconds()).ok());
  clock.advance(std::chrono::seconds(30));
  w.drain_once();  // tried, refused, waiting for its retry
  EXPECT_EQ(metrics.value("linkgate_outbox_oldest_age_seconds", {}), 30);
  EXPECT_EQ(metrics.value("linkgate_outbox_depth", {}), 1);
  clock.advance(std::chrono::seconds(600));
  w.drain_once();
  EXPECT_EQ(metrics.value("linkgate_outbox_oldest_age_seconds", {}), 0) << "delivered: none waits";
  EXPECT_EQ(metrics.value("linkgate_signin_funnel_total", {{"stage", "delivered"}}), 1);
}

TEST_F(OutboxWorkerTest, CountsTheBacklogForItsGaugesAtMostOnceAClockSecond) {
  auto channel = std::make_shared<ScriptedChannel>();
  channel->script = {sdk::ErrorCode::retryable, sdk::ErrorCode::retryable};
  auto w = worker({{sdk::AddressKind::email, "scripted", channel, 1}});
  ASSERT_TRUE(store->enqueue(message(), clock.now_seconds()).ok());
  w.drain_once();
  EXPECT_EQ(metrics.value("linkgate_outbox_depth", {}), 1);
  ASSERT_TRUE(store->enqueue(message(), clock.now_seconds()).ok());
  w.drain_once();
  ASSERT_EQ(channel->seen.size(), 2u) << "the second message was tried";
  EXPECT_EQ(metrics.value("linkgate_outbox_depth", {}), 1) << "not counted again this second";
  clock.advance(std::chrono::seconds(1));
  w.drain_once();
  EXPECT_EQ(metrics.value("linkgate_outbox_depth", {}), 2);
}

TEST_F(OutboxWorkerTest, HousekeepingRunsWithEachPurgeOnceItIsDue) {
  std::vector<std::int64_t> runs;
  WorkerSettings s;
  s.housekeeping = [&](std::int64_t now) { runs.push_back(now); };
  OutboxWorker w(store, {}, s, log, metrics, clock);
  const std::int64_t t0 = clock.now_seconds();
  w.drain_once();
  w.drain_once();
  EXPECT_EQ(runs, std::vector<std::int64_t>{t0}) << "not again within purge_every";
  clock.advance(std::chrono::seconds(61));
  w.drain_once();
  EXPECT_EQ(runs, (std::vector<std::int64_t>{t0, t0 + 61}));
}

TEST_F(OutboxWorkerTest, RetriesTransientFailuresWithBackoffThenDelivers) {
  auto channel = std::make_shared<ScriptedChannel>();
  channel->script = {sdk::ErrorCode::retryable, sdk::ErrorCode::retryable};
  auto w = worker({{sdk::AddressKind::email, "scripted", channel, 1}}, 5);
  auto m = message();
  ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  w.drain_once();
  EXPECT_EQ(store->state_of(m.id)->first, "pending");
  EXPECT_EQ(w.drain_once(), 0) << "not due before its backoff";
  clock.advance(std::chrono::seconds(2));
  w.drain_once();
  clock.advance(std::chrono::seconds(4));
  w.drain_once();
  EXPECT_EQ(store->state_of(m.id)->first, "sent");
  ASSERT_EQ(channel->seen.size(), 3u);
  EXPECT_EQ(channel->seen[2].attempt, 3);
}

TEST_F(OutboxWorkerTest, GivesUpAfterMaxAttemptsAndLogsIt) {
  auto channel = std::make_shared<ScriptedChannel>();
  channel->script = {sdk::ErrorCode::retryable, sdk::ErrorCode::retryable,
                     sdk::ErrorCode::retryable};
  auto w = worker({{sdk::AddressKind::email, "scripted", channel, 1}}, 3);
  auto m = message();
  ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  for (int i = 0; i < 5; ++i) {
    w.drain_once();
    clock.advance(std::chrono::seconds(120));
  }
  EXPECT_EQ(channel->seen.size(), 3u);
  EXPECT_EQ(store->state_of(m.id)->first, "dead");
  EXPECT_NE(log_text.str().find("is dead after 3 attempts"), std::string::npos) << log_text.str();
  EXPECT_EQ(log_text.str().find("a@example.com"), std::string::npos)
      << "addresses are masked in logs";
}

TEST_F(OutboxWorkerTest, PermanentFailureFallsBackToTheNextChannelOfTheKind) {
  auto first = std::make_shared<ScriptedChannel>();
  first->script = {sdk::ErrorCode::permanent};
  auto phone = std::make_shared<ScriptedChannel>();
  auto second = std::make_shared<ScriptedChannel>();
  auto w = worker({{sdk::AddressKind::email, "first", first, 1},
                   {sdk::AddressKind::phone, "phone", phone, 1},
                   {sdk::AddressKind::email, "second", second, 1}});
  auto m = message();
  ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  w.drain_once();
  w.drain_once();
  EXPECT_EQ(first->seen.size(), 1u);
  EXPECT_EQ(phone->seen.size(), 0u);
  EXPECT_EQ(second->seen.size(), 1u);
  EXPECT_EQ(store->state_of(m.id)->first, "sent");
}

TEST_F(OutboxWorkerTest, PermanentFailureWithNoFallbackIsDead) {
  auto channel = std::make_shared<ScriptedChannel>();
  channel->script = {sdk::ErrorCode::permanent};
  auto w = worker({{sdk::AddressKind::email, "only", channel, 1}});
  auto m = message();
  ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  w.drain_once();
  EXPECT_EQ(store->state_of(m.id)->first, "dead");
  EXPECT_NE(log_text.str().find("failed permanently"), std::string::npos);
}

TEST_F(OutboxWorkerTest, AThrowingChannelIsRetriedNotFatal) {
  auto channel = std::make_shared<ScriptedChannel>();
  channel->throw_instead = true;
  auto w = worker({{sdk::AddressKind::email, "thrower", channel, 1}});
  auto m = message();
  ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  EXPECT_NO_THROW(w.drain_once());
  EXPECT_EQ(store->state_of(m.id)->first, "pending");
}

TEST_F(OutboxWorkerTest, ExpiredLinksAreNotSent) {
  auto channel = std::make_shared<ScriptedChannel>();
  auto w = worker({{sdk::AddressKind::email, "c", channel, 1}});
  auto m = message();
  ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  clock.advance(std::chrono::seconds(901));
  w.drain_once();
  EXPECT_TRUE(channel->seen.empty());
  EXPECT_EQ(store->state_of(m.id)->first, "dead");
}

// A start stores its message unrendered; the worker renders each claimed message before it
// routes it — a stranger's discarded one too, so both cost the worker the same.
TEST_F(OutboxWorkerTest, RendersEachClaimedMessageSentOrDiscardedWithTheClockOfItsClaim) {
  auto channel = std::make_shared<ScriptedChannel>();
  std::vector<std::pair<std::string, std::int64_t>> rendered;
  WorkerSettings s;
  s.render = [&](OutboxMessage& m, std::int64_t now) {
    rendered.emplace_back(m.id, now);
    m.subject = "Sign in";
    m.text = "text with " + m.link;
    m.html = "<p>" + m.code + "</p>";
  };
  OutboxWorker w(store, {{sdk::AddressKind::email, "c", channel, 1}}, s, log, metrics, clock);
  auto sent = message();
  auto discarded = message();
  discarded.channel_index = kDiscard;
  ASSERT_TRUE(store->enqueue(sent, clock.now_seconds()).ok());
  ASSERT_TRUE(store->enqueue(discarded, clock.now_seconds()).ok());
  clock.advance(std::chrono::seconds(5));
  EXPECT_EQ(w.drain_once(), 2);
  const std::vector<std::pair<std::string, std::int64_t>> expected{
      {sent.id, clock.now_seconds()}, {discarded.id, clock.now_seconds()}};
  EXPECT_EQ(rendered, expected);
  ASSERT_EQ(channel->seen.size(), 1u);
  EXPECT_EQ(channel->seen[0].subject, "Sign in");
  EXPECT_EQ(channel->seen[0].text, "text with L");
  EXPECT_EQ(channel->seen[0].html, "<p>C</p>");
  EXPECT_EQ(store->state_of(sent.id)->first, "sent");
  EXPECT_EQ(store->state_of(discarded.id)->first, "suppressed");
  EXPECT_EQ(store->body_of(sent.id).value(), "");
}

TEST_F(OutboxWorkerTest, AMessageWhoseTemplatesFailIsDeadAndTheRestOfItsBatchIsSent) {
  auto channel = std::make_shared<ScriptedChannel>();
  WorkerSettings s;
  auto broken = message();
  s.render = [&](OutboxMessage& m, std::int64_t) {
    if (m.id == broken.id) throw std::runtime_error("no such template");
    m.text = "fine";
  };
  OutboxWorker w(store, {{sdk::AddressKind::email, "c", channel, 1}}, s, log, metrics, clock);
  auto fine = message();
  ASSERT_TRUE(store->enqueue(broken, clock.now_seconds()).ok());
  ASSERT_TRUE(store->enqueue(fine, clock.now_seconds()).ok());
  EXPECT_NO_THROW(w.drain_once());
  EXPECT_EQ(store->state_of(broken.id)->first, "dead");
  EXPECT_EQ(store->body_of(broken.id).value(), "") << "its link and code erased";
  EXPECT_EQ(store->state_of(fine.id)->first, "sent");
  ASSERT_EQ(channel->seen.size(), 1u);
  EXPECT_EQ(channel->seen[0].text, "fine");
  EXPECT_NE(log_text.str().find("templates failed: no such template"), std::string::npos);
}

TEST_F(OutboxWorkerTest, ThreadsDrainTheQueue) {
  auto channel = std::make_shared<ScriptedChannel>();
  WorkerSettings s;
  s.threads = 1;  // ScriptedChannel is not thread-safe
  s.poll_interval = std::chrono::milliseconds(10);
  OutboxWorker w(store, {{sdk::AddressKind::email, "c", channel, 1}}, s, log, metrics, clock);
  w.start();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->enqueue(message(), clock.now_seconds()).ok());
  w.notify();
  for (int i = 0; i < 500 && store->depth().value() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  w.stop();
  EXPECT_EQ(store->depth().value(), 0);
  EXPECT_EQ(channel->seen.size(), 5u);
}

// A start's wake-up, made while its request is being answered, reaches the worker only once the
// answer is written (util::AfterAnswer): a user's delivery must not run beside the answer that a
// stranger, whose message is only discarded, would get sooner (docs/security.md).
TEST_F(OutboxWorkerTest, AWakeMadeWhileARequestIsAnsweredComesAfterItsAnswer) {
  auto channel = std::make_shared<ScriptedChannel>();
  WorkerSettings s;
  s.threads = 1;
  s.poll_interval = std::chrono::minutes(10);  // nothing but a wake-up makes it look
  OutboxWorker w(store, {{sdk::AddressKind::email, "c", channel, 1}}, s, log, metrics, clock);
  OutboxQueue queue(&w);
  w.start();
  auto delivered = [&](std::size_t n) {
    for (int i = 0; i < 500 && store->depth().value() > 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return store->depth().value() == 0 && channel->seen.size() == n;
  };
  ASSERT_TRUE(store->enqueue(message(), clock.now_seconds()).ok());
  queue.wake();  // no request being answered: at once
  ASSERT_TRUE(delivered(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the worker back asleep
  {
    util::AfterAnswer answering;
    ASSERT_TRUE(store->enqueue(message(), clock.now_seconds()).ok());
    queue.wake();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(store->depth().value(), 1) << "delivered before the answer was written";
    answering.run();
    EXPECT_TRUE(delivered(2));
  }
  w.stop();
}

TEST_F(OutboxWorkerTest, FinishedMessagesArePurgedAfterTheRetentionAndCounted) {
  auto channel = std::make_shared<ScriptedChannel>();
  WorkerSettings settings;
  settings.retention_seconds = 3600;
  OutboxWorker w(store, {{sdk::AddressKind::email, "scripted", channel, 1}}, settings, log, metrics,
                 clock);
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(store->enqueue(message(), clock.now_seconds()).ok());
  auto discard = message();
  discard.channel_index = kDiscard;  // a stranger's: stored like any, never sent
  ASSERT_TRUE(store->enqueue(discard, clock.now_seconds()).ok());
  EXPECT_EQ(w.drain_once(), 21) << "in batches of 8: 8, 8, 5";
  EXPECT_EQ(store->counts().value()["sent"], 20);
  EXPECT_EQ(store->counts().value()["suppressed"], 1);
  EXPECT_EQ(channel->seen.size(), 20u) << "the discarded one never reached the channel";
  EXPECT_EQ(store->body_of(discard.id).value(), "") << "erased like a sent one";
  EXPECT_EQ(metrics.value("linkgate_messages_suppressed_total", {}), 1);
  clock.advance(std::chrono::seconds(3599));
  auto fresh = message();
  ASSERT_TRUE(store->enqueue(fresh, clock.now_seconds()).ok());
  w.drain_once();
  EXPECT_EQ(store->counts().value()["sent"], 21) << "not yet past the retention";
  clock.advance(std::chrono::seconds(62));
  w.drain_once();
  auto counts = store->counts().value();
  EXPECT_EQ(counts["sent"], 1) << "the message sent an hour later stays";
  EXPECT_EQ(counts.count("suppressed"), 0u);
  EXPECT_EQ(metrics.value("linkgate_outbox_purged_total", {{"state", "sent"}}), 20);
  EXPECT_EQ(metrics.value("linkgate_outbox_purged_total", {{"state", "suppressed"}}), 1);
  EXPECT_EQ(store->state_of(fresh.id)->first, "sent");
}

// Once a delivery erased a body, the worker has the store scrub it off the log's file and asks
// again each scrub_every until that is done, with nothing more erased meanwhile: this log is
// idle, so it is cut once two intervals pass without a restart, and that is counted.
TEST_F(OutboxWorkerTest, AnErasedBodyIsScrubbedOffTheLogEvenWhenNothingMoreHappens) {
  auto channel = std::make_shared<ScriptedChannel>();
  WorkerSettings settings;
  settings.scrub_every = std::chrono::milliseconds(50);
  OutboxWorker w(store, {{sdk::AddressKind::email, "scripted", channel, 1}}, settings, log, metrics,
                 clock);
  ASSERT_TRUE(store->enqueue(message(), clock.now_seconds()).ok());
  EXPECT_EQ(w.drain_once(), 1);
  const auto scrubs = [&] {
    return metrics.value("linkgate_outbox_scrubs_total", {{"by", "truncation"}}) +
           metrics.value("linkgate_outbox_scrubs_total", {{"by", "zeroing"}});
  };
  for (int i = 0; i < 100 && scrubs() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(w.drain_once(), 0);
  }
  EXPECT_EQ(metrics.value("linkgate_outbox_scrubs_total", {{"by", "truncation"}}), 1);
  EXPECT_EQ(std::filesystem::file_size(dir.file("o.db-wal")), 0u);
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    w.drain_once();
  }
  EXPECT_EQ(scrubs(), 1) << "nothing more to scrub";
}

TEST_F(OutboxWorkerTest, EveryOutcomeOfABatchIsWrittenTogether) {
  auto first = std::make_shared<ScriptedChannel>();
  first->script = {sdk::ErrorCode::none, sdk::ErrorCode::retryable, sdk::ErrorCode::permanent};
  auto fallback = std::make_shared<ScriptedChannel>();
  auto w = worker({{sdk::AddressKind::email, "first", first, 1},
                   {sdk::AddressKind::email, "fallback", fallback, 1}});
  auto sent = message(), retried = message(), moved = message(), expired = message(),
       discarded = message();
  expired.expires_at = clock.now_seconds();
  discarded.channel_index = kDiscard;
  for (const auto& m : {sent, retried, moved, expired, discarded}) {
    ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  }
  EXPECT_EQ(w.drain_once(), 5);
  EXPECT_EQ(store->state_of(sent.id)->first, "sent");
  EXPECT_EQ(store->state_of(retried.id)->first, "pending");
  EXPECT_EQ(store->state_of(retried.id)->second, "first: scripted failure");
  EXPECT_EQ(store->state_of(expired.id)->first, "dead");
  EXPECT_EQ(store->state_of(expired.id)->second, "the link expired before it could be delivered");
  EXPECT_EQ(store->state_of(discarded.id)->first, "suppressed");
  EXPECT_EQ(store->state_of(moved.id)->first, "pending") << "moved to the fallback, due now";
  for (const auto& m : {sent, expired, discarded}) EXPECT_EQ(store->body_of(m.id).value(), "");
  EXPECT_NE(store->body_of(retried.id).value(), "");
  w.drain_once();
  ASSERT_EQ(fallback->seen.size(), 1u);
  EXPECT_EQ(fallback->seen[0].id, moved.id);
  EXPECT_EQ(store->state_of(moved.id)->first, "sent");
}

// Each send moves the manual clock on: slow sends, as a slow relay makes them.
class SlowChannel final : public sdk::DeliveryChannel {
 public:
  SlowChannel(host::ManualClock& clock, std::chrono::seconds each) : clock_(clock), each_(each) {}
  std::vector<std::string> sent;
  sdk::Result<void> send(const sdk::Message& m) override {
    clock_.advance(each_);
    sent.push_back(m.id);
    return sdk::success();
  }
  sdk::Result<void> ready() override { return sdk::success(); }

 private:
  host::ManualClock& clock_;
  std::chrono::seconds each_;
};

TEST_F(OutboxWorkerTest, ABatchWhoseLeaseIsHalfGoneHandsTheRestBackUntried) {
  auto channel = std::make_shared<SlowChannel>(clock, std::chrono::seconds(31));
  WorkerSettings s;
  s.lease_seconds = 60;
  s.claim_batch = 3;
  OutboxWorker w(store, {{sdk::AddressKind::email, "slow", channel, 1}}, s, log, metrics, clock);
  std::vector<OutboxMessage> batch{message(), message(), message()};
  for (const auto& m : batch) ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  const std::int64_t claimed_at = clock.now_seconds();
  EXPECT_EQ(w.drain_once(), 1) << "after one 31 s send, half the 60 s lease is gone";
  EXPECT_EQ(channel->sent.size(), 1u);
  EXPECT_EQ(store->state_of(batch[0].id)->first, "sent");
  // The other two are due again at once, not when the lease would have run out, and the claim
  // that never sent them did not use up one of their attempts.
  auto again = store->claim_batch(claimed_at + 31, 60, 10);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->size(), 2u);
  for (const auto& m : again.value()) EXPECT_EQ(m.attempts, 1) << "the first real attempt";
}

// Blocks its first send until the test lets it go; counts sends in flight.
class GatedChannel final : public sdk::DeliveryChannel {
 public:
  std::atomic<int> in_flight{0}, most_in_flight{0}, sends{0};
  std::atomic<bool> open{false};
  std::chrono::milliseconds each{0};
  sdk::Result<void> send(const sdk::Message&) override {
    const int now = ++in_flight;
    for (int seen = most_in_flight;
         now > seen && !most_in_flight.compare_exchange_weak(seen, now);) {
    }
    ++sends;
    while (!open) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(each);
    --in_flight;
    return sdk::success();
  }
  sdk::Result<void> ready() override { return sdk::success(); }
};

TEST_F(OutboxWorkerTest, SendsOnAChannelNeverExceedItsConcurrencyAndReachIt) {
  auto slow = std::make_shared<GatedChannel>();
  slow->each = std::chrono::milliseconds(5);
  WorkerSettings s;
  s.threads = 12;
  s.claim_batch = 2;
  s.poll_interval = std::chrono::milliseconds(10);
  OutboxWorker w(store, {{sdk::AddressKind::email, "slow", slow, 3}}, s, log, metrics, clock);
  for (int i = 0; i < 60; ++i) ASSERT_TRUE(store->enqueue(message(), clock.now_seconds()).ok());
  w.start();
  w.notify();
  // Held shut until as many sends as the channel allows are waiting in it.
  for (int i = 0; i < 1000 && slow->in_flight < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // room for a fourth, if any
  EXPECT_EQ(slow->in_flight, 3);
  slow->open = true;
  for (int i = 0; i < 1000 && store->depth().value() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  w.stop();
  EXPECT_EQ(store->depth().value(), 0);
  EXPECT_EQ(slow->sends, 60);
  EXPECT_EQ(slow->most_in_flight, 3);
}

TEST_F(OutboxWorkerTest, StoppingMidBatchHandsTheUnsentRestBack) {
  auto gated = std::make_shared<GatedChannel>();
  WorkerSettings s;
  s.threads = 1;
  s.claim_batch = 4;
  OutboxWorker w(store, {{sdk::AddressKind::email, "gated", gated, 1}}, s, log, metrics, clock);
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store->enqueue(message(), clock.now_seconds()).ok());
  w.start();
  w.notify();
  for (int i = 0; i < 1000 && gated->in_flight == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(gated->in_flight, 1);
  std::thread stopper([&] { w.stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // stop() is waiting for the send
  gated->open = true;
  stopper.join();
  EXPECT_EQ(gated->sends, 1) << "the send under way finished; no other began";
  auto counts = store->counts().value();
  EXPECT_EQ(counts["sent"], 1);
  EXPECT_EQ(counts["pending"], 3) << "handed back, not left leased for a minute";
  auto again = store->claim_batch(clock.now_seconds(), 60, 10);
  ASSERT_EQ(again->size(), 3u);
  for (const auto& m : again.value()) EXPECT_EQ(m.attempts, 1);
}

// Takes batches; each batch's answers are scripted by message id (none: success).
class BatchingChannel final : public sdk::DeliveryChannel {
 public:
  explicit BatchingChannel(std::size_t limit) : limit_(limit) {}
  std::map<std::string, sdk::ErrorCode> fail;
  std::vector<std::vector<std::string>> batches;  // the ids of each send_batch() call
  int sends = 0;                                  // send() calls
  bool throw_instead = false;
  int results_missing = 0;
  sdk::Result<void> send(const sdk::Message&) override {
    ++sends;
    return sdk::success();
  }
  sdk::Result<void> ready() override { return sdk::success(); }
  std::size_t batch_limit() override { return limit_; }
  std::vector<sdk::Result<void>> send_batch(const std::vector<sdk::Message>& messages) override {
    batches.emplace_back();
    std::vector<sdk::Result<void>> results;
    for (const auto& m : messages) {
      batches.back().push_back(m.id);
      auto it = fail.find(m.id);
      results.push_back(it == fail.end() ? sdk::success()
                                         : sdk::Result<void>(sdk::fail(it->second, "scripted")));
    }
    if (throw_instead) throw std::runtime_error("boom");
    results.resize(results.size() - static_cast<std::size_t>(results_missing), sdk::success());
    return results;
  }

 private:
  std::size_t limit_;
};

TEST_F(OutboxWorkerTest, AChannelThatTakesBatchesGetsAClaimInBatchCallsEachAnsweredByItself) {
  auto channel = std::make_shared<BatchingChannel>(5);
  auto fallback = std::make_shared<BatchingChannel>(5);
  auto w = worker({{sdk::AddressKind::email, "batching", channel, 1},
                   {sdk::AddressKind::email, "fallback", fallback, 1}});
  std::vector<OutboxMessage> all;
  for (int i = 0; i < 12; ++i) all.push_back(message());
  channel->fail[all[1].id] = sdk::ErrorCode::retryable;
  channel->fail[all[7].id] = sdk::ErrorCode::permanent;
  channel->fail[all[11].id] = sdk::ErrorCode::invalid;
  auto expired = message();
  expired.expires_at = clock.now_seconds();
  for (const auto& m : all) ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  ASSERT_TRUE(store->enqueue(expired, clock.now_seconds()).ok());

  EXPECT_EQ(w.drain_once(), 13);
  EXPECT_EQ(channel->sends, 0) << "a channel that takes batches gets no single sends";
  ASSERT_EQ(channel->batches.size(), 3u) << "12 messages claimed at once, 5 per call at most";
  EXPECT_EQ(channel->batches[0].size(), 5u);
  EXPECT_EQ(channel->batches[1].size(), 5u);
  EXPECT_EQ(channel->batches[2].size(), 2u);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const auto state = store->state_of(all[i].id)->first;
    if (i == 1) {
      EXPECT_EQ(state, "pending") << "retried";
    } else if (i == 7 || i == 11) {
      EXPECT_EQ(state, "pending") << "failed for good or refused: moved to the fallback";
    } else {
      EXPECT_EQ(state, "sent") << i;
      EXPECT_EQ(store->body_of(all[i].id).value(), "");
    }
  }
  EXPECT_EQ(store->state_of(expired.id)->first, "dead") << "never handed to the channel";
  w.drain_once();
  ASSERT_EQ(fallback->batches.size(), 1u);
  EXPECT_EQ(fallback->batches[0], (std::vector<std::string>{all[7].id, all[11].id}));
  EXPECT_EQ(store->state_of(all[7].id)->first, "sent");
  EXPECT_EQ(
      metrics.value("linkgate_deliveries_total", {{"channel", "batching"}, {"outcome", "sent"}}),
      9);
}

TEST_F(OutboxWorkerTest, ABatchThatThrowsOrMiscountsIsRetriedWholeAndNothingIsLost) {
  for (const bool throws : {true, false}) {
    auto channel = std::make_shared<BatchingChannel>(16);
    channel->throw_instead = throws;
    channel->results_missing = throws ? 0 : 1;
    auto w = worker({{sdk::AddressKind::email, "broken", channel, 1}}, 5);
    std::vector<OutboxMessage> batch{message(), message(), message()};
    for (const auto& m : batch) ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
    EXPECT_NO_THROW(w.drain_once());
    ASSERT_EQ(channel->batches.size(), 1u);
    for (const auto& m : batch) {
      EXPECT_EQ(store->state_of(m.id)->first, "pending") << (throws ? "threw" : "miscounted");
      EXPECT_NE(store->body_of(m.id).value(), "") << "kept for the retry";
    }
    EXPECT_NE(log_text.str().find(throws ? "channel threw: boom"
                                         : "channel answered a batch of 3 with 2 results"),
              std::string::npos)
        << log_text.str();
    channel->throw_instead = false;
    channel->results_missing = 0;
    clock.advance(std::chrono::seconds(120));
    w.drain_once();
    for (const auto& m : batch) EXPECT_EQ(store->state_of(m.id)->first, "sent");
  }
}

// A route that can send a batch without copying it (a guarded plugin's) is sent that way; what
// it answers is still checked like the channel's own.
TEST_F(OutboxWorkerTest, ARouteThatSharesItsBatchesGetsThemWholeAndIsStillChecked) {
  auto channel = std::make_shared<BatchingChannel>(16);
  std::vector<std::shared_ptr<const std::vector<sdk::Message>>> shared;
  bool miscount = false;
  DeliveryRoute route{sdk::AddressKind::email, "sharing", channel, 1};
  route.send_shared_batch = [&](std::shared_ptr<const std::vector<sdk::Message>> messages) {
    shared.push_back(messages);
    std::vector<sdk::Result<void>> results(messages->size(), sdk::success());
    if (miscount) results.pop_back();
    return results;
  };
  auto w = worker({route});
  std::vector<OutboxMessage> batch{message(), message(), message()};
  for (auto& m : batch) {
    m.text = "the body of " + m.id;
    ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  }
  miscount = true;
  EXPECT_EQ(w.drain_once(), 3);
  for (const auto& m : batch) EXPECT_EQ(store->state_of(m.id)->first, "pending") << "retried";
  miscount = false;
  clock.advance(std::chrono::seconds(120));
  w.drain_once();
  EXPECT_TRUE(channel->batches.empty()) << "the channel's own send_batch() is not called";
  ASSERT_EQ(shared.size(), 2u);
  ASSERT_EQ(shared[1]->size(), 3u);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    EXPECT_EQ((*shared[1])[i].id, batch[i].id);
    EXPECT_EQ((*shared[1])[i].text, batch[i].text) << "the body travels with the message";
    EXPECT_EQ(store->state_of(batch[i].id)->first, "sent");
  }
}

// A claim is one send_batch() per route when every route takes batches; with a channel that
// sends one at a time among them, one worker would send a large claim message after message.
TEST_F(OutboxWorkerTest, ClaimsAreLargeOnlyWhenEveryChannelTakesBatches) {
  for (const bool mixed : {false, true}) {
    auto channel = std::make_shared<BatchingChannel>(256);
    DeliveryRoutes routes{{sdk::AddressKind::email, "batching", channel, 1}};
    if (mixed)
      routes.push_back({sdk::AddressKind::phone, "single", std::make_shared<ScriptedChannel>(), 1});
    auto w = worker(routes);
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(store->enqueue(message(), clock.now_seconds()).ok());
    EXPECT_EQ(w.drain_once(), 100);
    ASSERT_FALSE(channel->batches.empty());
    EXPECT_EQ(channel->batches[0].size(), mixed ? 8u : 32u);
  }
}

TEST(WorkerThreads, AutoIsEveryChannelsConcurrencyTogetherAndAtLeastTwo) {
  EXPECT_EQ(worker_threads_for({}), 2);
  EXPECT_EQ(worker_threads_for({{sdk::AddressKind::email, "a", nullptr, 1}}), 2);
  EXPECT_EQ(worker_threads_for({{sdk::AddressKind::email, "a", nullptr, 8},
                                {sdk::AddressKind::phone, "b", nullptr, 4}}),
            12);
}

// A channel's failure text quotes the recipient, as mail servers and gateways do.
class QuotingChannel final : public sdk::DeliveryChannel {
 public:
  sdk::Result<void> send(const sdk::Message& m) override {
    return sdk::fail(
        sdk::ErrorCode::permanent,
        "550 5.1.1 <" + m.to + ">: user unknown; gateway said {\"to\":\"+14155550199\"}");
  }
  sdk::Result<void> ready() override { return sdk::success(); }
};

TEST_F(OutboxWorkerTest, AFailureThatQuotesTheRecipientIsLoggedWithoutIt) {
  auto w = worker({{sdk::AddressKind::email, "quoting", std::make_shared<QuotingChannel>(), 1}});
  auto m = message();
  m.recipient = "bob.secret@example.com";
  ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  EXPECT_EQ(w.drain_once(), 1);
  const std::string logged = log_text.str();
  EXPECT_NE(logged.find("is dead"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("bob.secret"), std::string::npos) << logged;
  EXPECT_EQ(logged.find("4155550199"), std::string::npos) << logged;
  EXPECT_NE(logged.find("[address]"), std::string::npos) << logged;
}

}  // namespace
}  // namespace linkgate::outbox
