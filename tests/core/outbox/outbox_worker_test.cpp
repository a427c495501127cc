#include "outbox/outbox_worker.h"

#include <gtest/gtest.h>

#include <sstream>

#include "host/host_services.h"
#include "support/temp_dir.h"

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

  linkgate::testing::TempDir dir;
  std::shared_ptr<OutboxStore> store =
      std::make_shared<OutboxStore>(linkgate::sql::Database::open("sqlite:" + dir.file("o.db")));
  std::ostringstream log_text;
  host::Log log{sdk::LogLevel::debug, false, log_text};
  host::MetricsRegistry metrics;
  host::ManualClock clock;
  int next_ = 0;
};

TEST_F(OutboxWorkerTest, DeliversAndErasesTheBody) {
  auto channel = std::make_shared<ScriptedChannel>();
  auto w = worker({{sdk::AddressKind::email, "scripted", channel}});
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

TEST_F(OutboxWorkerTest, RetriesTransientFailuresWithBackoffThenDelivers) {
  auto channel = std::make_shared<ScriptedChannel>();
  channel->script = {sdk::ErrorCode::retryable, sdk::ErrorCode::retryable};
  auto w = worker({{sdk::AddressKind::email, "scripted", channel}}, 5);
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
  auto w = worker({{sdk::AddressKind::email, "scripted", channel}}, 3);
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
  auto w = worker({{sdk::AddressKind::email, "first", first},
                   {sdk::AddressKind::phone, "phone", phone},
                   {sdk::AddressKind::email, "second", second}});
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
  auto w = worker({{sdk::AddressKind::email, "only", channel}});
  auto m = message();
  ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  w.drain_once();
  EXPECT_EQ(store->state_of(m.id)->first, "dead");
  EXPECT_NE(log_text.str().find("failed permanently"), std::string::npos);
}

TEST_F(OutboxWorkerTest, AThrowingChannelIsRetriedNotFatal) {
  auto channel = std::make_shared<ScriptedChannel>();
  channel->throw_instead = true;
  auto w = worker({{sdk::AddressKind::email, "thrower", channel}});
  auto m = message();
  ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  EXPECT_NO_THROW(w.drain_once());
  EXPECT_EQ(store->state_of(m.id)->first, "pending");
}

TEST_F(OutboxWorkerTest, ExpiredLinksAreNotSent) {
  auto channel = std::make_shared<ScriptedChannel>();
  auto w = worker({{sdk::AddressKind::email, "c", channel}});
  auto m = message();
  ASSERT_TRUE(store->enqueue(m, clock.now_seconds()).ok());
  clock.advance(std::chrono::seconds(901));
  w.drain_once();
  EXPECT_TRUE(channel->seen.empty());
  EXPECT_EQ(store->state_of(m.id)->first, "dead");
}

TEST_F(OutboxWorkerTest, ThreadsDrainTheQueue) {
  auto channel = std::make_shared<ScriptedChannel>();
  WorkerSettings s;
  s.threads = 1;  // ScriptedChannel is not thread-safe
  s.poll_interval = std::chrono::milliseconds(10);
  OutboxWorker w(store, {{sdk::AddressKind::email, "c", channel}}, s, log, metrics, clock);
  w.start();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store->enqueue(message(), clock.now_seconds()).ok());
  w.notify();
  for (int i = 0; i < 500 && store->depth().value() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  w.stop();
  EXPECT_EQ(store->depth().value(), 0);
  EXPECT_EQ(channel->seen.size(), 5u);
}

TEST_F(OutboxWorkerTest, FinishedMessagesArePurgedAfterTheRetentionAndCounted) {
  auto channel = std::make_shared<ScriptedChannel>();
  WorkerSettings settings;
  settings.retention_seconds = 3600;
  OutboxWorker w(store, {{sdk::AddressKind::email, "scripted", channel}}, settings, log, metrics,
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
  auto w = worker({{sdk::AddressKind::email, "quoting", std::make_shared<QuotingChannel>()}});
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
