#include "plugin_host/call_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <sstream>
#include <thread>

#include "plugin_host/guarded_plugins.h"

namespace linkgate::plugin_host {
namespace {

using namespace std::chrono_literals;

struct Logged {
  std::ostringstream text;
  host::Log log{sdk::LogLevel::debug, false, text};
};

/// A log shared the way the server shares its own: the stream lives as long as the log.
std::shared_ptr<host::Log> shared_log(const std::shared_ptr<Logged>& l) {
  return std::shared_ptr<host::Log>(l, &l->log);
}

TEST(CallRunner, ReturnsWhatTheCallReturns) {
  Logged l;
  CallRunner runner("p", 1s, l.log);
  auto r = runner.run<sdk::Result<int>>("m", [] { return sdk::Result<int>(42); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 42);
}

TEST(CallRunner, WithNoTimeoutTheCallRunsOnTheCallersThread) {
  Logged l;
  CallRunner runner("p", 0ms, l.log);
  const auto caller = std::this_thread::get_id();
  auto r = runner.run<sdk::Result<bool>>(
      "m", [caller] { return sdk::Result<bool>(std::this_thread::get_id() == caller); });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value());
  // With a deadline the call runs elsewhere, so that the caller can give up on it.
  CallRunner guarded("p", 1s, l.log);
  auto elsewhere = guarded.run<sdk::Result<bool>>(
      "m", [caller] { return sdk::Result<bool>(std::this_thread::get_id() == caller); });
  ASSERT_TRUE(elsewhere.ok());
  EXPECT_FALSE(elsewhere.value());
}

TEST(CallRunner, CountsEachCallsTimeAndEachMissedDeadlineByPluginAndMethod) {
  Logged l;
  host::MetricsRegistry metrics;
  CallRunner runner("slowpoke", 100ms, l.log, 64, &metrics);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(runner.run<sdk::Result<int>>("find", [] { return sdk::Result<int>(1); }).ok());
  }
  auto late = runner.run<sdk::Result<int>>("create", [] {
    std::this_thread::sleep_for(300ms);
    return sdk::Result<int>(1);
  });
  EXPECT_EQ(late.code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(metrics.value("linkgate_plugin_call_failures_total",
                          {{"plugin", "slowpoke"}, {"method", "create"}, {"reason", "timeout"}}),
            1);
  const std::string text = metrics.render();
  EXPECT_NE(text.find("linkgate_plugin_call_seconds_count{plugin=\"slowpoke\",method=\"find\"} 3"),
            std::string::npos)
      << text;
  EXPECT_NE(
      text.find("linkgate_plugin_call_seconds_count{plugin=\"slowpoke\",method=\"create\"} 1"),
      std::string::npos)
      << text;
  // The late call waited its deadline (0.1 s), not the 0.3 s it took.
  EXPECT_NE(text.find("linkgate_plugin_call_seconds_bucket{plugin=\"slowpoke\",method=\"create\","
                      "le=\"0.25\"} 1"),
            std::string::npos)
      << text;
}

// A plugin's log lines, written on the plugin's own thread, still name the request they serve.
TEST(CallRunner, ThePluginsThreadWorksUnderTheCallersRequestId) {
  Logged l;
  CallRunner runner("p", 1s, l.log);
  host::RequestScope scope("req-42");
  auto r = runner.run<sdk::Result<std::string>>("m", [&l] {
    l.log.write(sdk::LogLevel::info, "plugin:p", "sending");
    return sdk::Result<std::string>(host::RequestScope::current());
  });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), "req-42");
  EXPECT_NE(l.text.str().find("[plugin:p] (req-42) sending"), std::string::npos) << l.text.str();
}

TEST(RequestScope, NestsAndEndsWithItsScope) {
  EXPECT_EQ(host::RequestScope::current(), "");
  {
    host::RequestScope outer("a");
    {
      host::RequestScope inner("b");
      EXPECT_EQ(host::RequestScope::current(), "b");
    }
    EXPECT_EQ(host::RequestScope::current(), "a");
  }
  EXPECT_EQ(host::RequestScope::current(), "");
  std::ostringstream json;
  host::Log log(sdk::LogLevel::info, true, json);
  {
    host::RequestScope scope("r1");
    log.write(sdk::LogLevel::info, "core", "in a request");
  }
  log.write(sdk::LogLevel::info, "core", "outside");
  EXPECT_NE(json.str().find("\"request_id\":\"r1\",\"message\":\"in a request\""),
            std::string::npos)
      << json.str();
  EXPECT_EQ(json.str().find("\"request_id\":\"r1\",\"message\":\"outside\""), std::string::npos);
}

TEST(CallRunner, AStuckCallIsAbandonedAtItsTimeoutAndNamed) {
  Logged l;
  CallRunner runner("slowpoke", 100ms, l.log);
  const auto start = std::chrono::steady_clock::now();
  auto r = runner.run<sdk::Result<int>>("find", [] {
    std::this_thread::sleep_for(2s);
    return sdk::Result<int>(1);
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.code(), sdk::ErrorCode::unavailable);
  EXPECT_NE(l.text.str().find("plugin slowpoke did not answer find within 100ms"),
            std::string::npos)
      << l.text.str();
}

TEST(CallRunner, WhenEveryThreadIsStuckCallsFailAtOnce) {
  Logged l;
  CallRunner runner("stuck", 300ms, l.log, 2);
  auto stall = [] {
    std::this_thread::sleep_for(3s);
    return sdk::Result<int>(0);
  };
  EXPECT_FALSE(runner.run<sdk::Result<int>>("a", stall).ok());
  EXPECT_FALSE(runner.run<sdk::Result<int>>("b", stall).ok());
  const auto start = std::chrono::steady_clock::now();
  auto r = runner.run<sdk::Result<int>>("c", [] { return sdk::Result<int>(7); });
  EXPECT_LT(std::chrono::steady_clock::now() - start, 250ms) << "waited behind stuck calls";
  EXPECT_EQ(r.code(), sdk::ErrorCode::unavailable);
  EXPECT_NE(l.text.str().find("every call thread is stuck"), std::string::npos);
}

class SleepingChannel final : public sdk::DeliveryChannel {
 public:
  sdk::Result<void> send(const sdk::Message&) override {
    std::this_thread::sleep_for(1s);
    return sdk::success();
  }
  sdk::Result<void> ready() override { return sdk::success(); }
};

TEST(GuardedDeliveryChannel, ASendPastItsTimeoutIsRetriedNotLost) {
  auto l = std::make_shared<Logged>();
  GuardedDeliveryChannel channel(std::make_shared<SleepingChannel>(), "sleepy", shared_log(l),
                                 100ms);
  auto sent = channel.send(sdk::Message{});
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.code(), sdk::ErrorCode::retryable);
}

// Takes batches of up to `limit`; its send_batch() does what the test sets.
class BatchChannel final : public sdk::DeliveryChannel {
 public:
  std::size_t limit = 8;
  bool sleeps = false, miscounts = false, throws = false;
  sdk::Result<void> send(const sdk::Message&) override { return sdk::success(); }
  sdk::Result<void> ready() override { return sdk::success(); }
  std::size_t batch_limit() override {
    if (throws) throw std::runtime_error("no limit");
    return limit;
  }
  std::vector<sdk::Result<void>> send_batch(const std::vector<sdk::Message>& messages) override {
    if (throws) throw std::runtime_error("boom");
    if (sleeps) std::this_thread::sleep_for(1s);
    std::vector<sdk::Result<void>> results(messages.size(), sdk::success());
    results.front() = sdk::fail(sdk::ErrorCode::unavailable, "relay restarting");
    if (miscounts) results.pop_back();
    return results;
  }
};

TEST(GuardedDeliveryChannel, ABatchThatHangsThrowsOrMiscountsIsRetriedWhole) {
  for (const char* fault : {"sleeps", "throws", "miscounts"}) {
    auto l = std::make_shared<Logged>();
    auto inner = std::make_shared<BatchChannel>();
    inner->sleeps = fault == std::string("sleeps");
    inner->throws = fault == std::string("throws");
    inner->miscounts = fault == std::string("miscounts");
    GuardedDeliveryChannel channel(inner, "batchy", shared_log(l), 100ms);
    const auto results = channel.send_batch(std::vector<sdk::Message>(3));
    ASSERT_EQ(results.size(), 3u) << fault;
    for (const auto& r : results) EXPECT_EQ(r.code(), sdk::ErrorCode::retryable) << fault;
    if (inner->miscounts) {
      EXPECT_NE(
          l->text.str().find("plugin batchy returned another number of results than messages"),
          std::string::npos)
          << l->text.str();
    }
  }
}

TEST(GuardedDeliveryChannel, EachResultOfABatchKeepsItsPlaceAndAnUnavailableOneIsRetried) {
  auto l = std::make_shared<Logged>();
  GuardedDeliveryChannel channel(std::make_shared<BatchChannel>(), "batchy", shared_log(l), 1s);
  const auto results = channel.send_batch(std::vector<sdk::Message>(3));
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].code(), sdk::ErrorCode::retryable);
  EXPECT_TRUE(results[1].ok());
  EXPECT_TRUE(results[2].ok());
}

// Sees the very vector it was handed, and reads every body only after sleeping past its deadline.
class LateReadingChannel final : public sdk::DeliveryChannel {
 public:
  std::atomic<const void*> handed{nullptr};
  std::atomic<bool> done{false};
  std::string bodies;  // written before done
  sdk::Result<void> send(const sdk::Message&) override { return sdk::success(); }
  sdk::Result<void> ready() override { return sdk::success(); }
  std::size_t batch_limit() override { return 8; }
  std::vector<sdk::Result<void>> send_batch(const std::vector<sdk::Message>& messages) override {
    handed = &messages;
    std::this_thread::sleep_for(300ms);
    for (const auto& m : messages) bodies += m.text + "|";
    done = true;
    return std::vector<sdk::Result<void>>(messages.size(), sdk::success());
  }
};

TEST(GuardedDeliveryChannel, ASharedBatchIsNotCopiedAndOutlivesACallerThatGaveUpOnIt) {
  auto l = std::make_shared<Logged>();
  auto inner = std::make_shared<LateReadingChannel>();
  GuardedDeliveryChannel channel(inner, "late", shared_log(l), 50ms);
  auto batch = std::make_shared<std::vector<sdk::Message>>(3);
  for (std::size_t i = 0; i < batch->size(); ++i) (*batch)[i].text = std::string(4096, 'a' + i);
  const void* ours = batch.get();
  const auto results = channel.send_shared_batch(std::move(batch));
  ASSERT_EQ(results.size(), 3u);
  for (const auto& r : results) EXPECT_EQ(r.code(), sdk::ErrorCode::retryable) << "past deadline";
  // The caller holds nothing now; the plugin's thread still reads the batch.
  for (int i = 0; i < 500 && !inner->done; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(inner->done);
  EXPECT_EQ(inner->handed.load(), ours) << "the plugin read the caller's batch, not a copy";
  EXPECT_EQ(inner->bodies, std::string(4096, 'a') + "|" + std::string(4096, 'b') + "|" +
                               std::string(4096, 'c') + "|");
}

TEST(GuardedDeliveryChannel, ABatchLimitIsAtLeastOneAndAtMostTheCap) {
  auto l = std::make_shared<Logged>();
  auto inner = std::make_shared<BatchChannel>();
  GuardedDeliveryChannel channel(inner, "batchy", shared_log(l), 1s);
  EXPECT_EQ(channel.batch_limit(), 8u);
  inner->limit = 0;
  EXPECT_EQ(channel.batch_limit(), 1u);
  inner->limit = 1'000'000;
  EXPECT_EQ(channel.batch_limit(), GuardedDeliveryChannel::kMostPerBatch);
  inner->throws = true;
  EXPECT_EQ(channel.batch_limit(), 1u) << "a limit that throws sends one at a time";
}

TEST(GuardedTokenStrategy, ATokenThatIsNotUrlSafeIsRefused) {
  class Sloppy final : public sdk::TokenStrategy {
   public:
    sdk::Result<sdk::IssuedToken> issue(const sdk::LinkGrant&) override {
      return sdk::IssuedToken{"has space&amp"};
    }
    sdk::Result<sdk::LinkGrant> inspect(std::string_view) override {
      return sdk::fail(sdk::ErrorCode::invalid, "");
    }
    sdk::Result<sdk::LinkGrant> redeem(std::string_view) override {
      return sdk::fail(sdk::ErrorCode::invalid, "");
    }
    sdk::Result<void> revoke_subject(std::string_view) override { return sdk::success(); }
    sdk::Result<void> ready() override { return sdk::success(); }
  };
  auto l = std::make_shared<Logged>();
  GuardedTokenStrategy tokens(std::make_shared<Sloppy>(), "sloppy", shared_log(l), 1s);
  auto issued = tokens.issue(sdk::LinkGrant{});
  ASSERT_FALSE(issued.ok());
  EXPECT_EQ(issued.code(), sdk::ErrorCode::internal);
  EXPECT_NE(l->text.str().find("plugin sloppy returned a token that is not URL-safe from issue"),
            std::string::npos);
}

// Reads its arguments only after sleeping past the caller's deadline.
class LateReadingTokens final : public sdk::TokenStrategy {
 public:
  std::atomic<bool> done{false};
  std::string seen_token;    // written before done
  std::string seen_address;  // written before done
  sdk::Result<sdk::IssuedToken> issue(const sdk::LinkGrant& grant) override {
    std::this_thread::sleep_for(300ms);
    seen_address = grant.identifier.value;
    done = true;
    return sdk::IssuedToken{"t", grant.expires_at};
  }
  sdk::Result<sdk::LinkGrant> inspect(std::string_view token) override {
    std::this_thread::sleep_for(300ms);
    seen_token = std::string(token);
    done = true;
    return sdk::LinkGrant{};
  }
  sdk::Result<sdk::LinkGrant> redeem(std::string_view token) override { return inspect(token); }
  sdk::Result<void> revoke_subject(std::string_view) override { return sdk::success(); }
  sdk::Result<void> ready() override { return sdk::success(); }
};

// A call left running past its deadline reads its own copies: what the caller handed it may be
// changed or gone by then. (On the caller's thread, with no deadline, nothing is copied.)
TEST(GuardedTokenStrategy, ACallPastItsDeadlineReadsItsOwnCopiesOfItsArguments) {
  auto l = std::make_shared<Logged>();
  auto inner = std::make_shared<LateReadingTokens>();
  GuardedTokenStrategy tokens(inner, "late", shared_log(l), 50ms);
  std::string token(4096, 'a');
  EXPECT_EQ(tokens.inspect(token).code(), sdk::ErrorCode::unavailable);
  std::fill(token.begin(), token.end(), 'x');
  for (int i = 0; i < 500 && !inner->done; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(inner->done);
  EXPECT_EQ(inner->seen_token, std::string(4096, 'a'));

  inner->done = false;
  sdk::LinkGrant grant;
  grant.identifier = {sdk::AddressKind::email, std::string(300, 'b') + "@example.com"};
  EXPECT_EQ(tokens.issue(grant).code(), sdk::ErrorCode::unavailable);
  grant.identifier.value.assign(grant.identifier.value.size(), 'y');
  for (int i = 0; i < 500 && !inner->done; ++i) std::this_thread::sleep_for(10ms);
  ASSERT_TRUE(inner->done);
  EXPECT_EQ(inner->seen_address, std::string(300, 'b') + "@example.com");
}

TEST(GuardedUserStore, AStuckCallKeepsWhatItUsesUntilItEndsThenLetsGo) {
  // A store that answers late and then throws: its last words are logged from the call's own
  // thread, after the caller, the adapter and everyone else let go of the store and the log.
  class LateThrower final : public sdk::UserStore {
   public:
    sdk::Result<sdk::User> find(const sdk::Identifier&) override {
      std::this_thread::sleep_for(300ms);
      throw std::runtime_error("gave up late");
    }
    sdk::Result<sdk::User> get(std::string_view) override { return sdk::User{}; }
    sdk::Result<sdk::User> create(const sdk::Identifier&) override { return sdk::User{}; }
    sdk::Result<void> ready() override { return sdk::success(); }
  };
  auto l = std::make_shared<Logged>();
  auto store = std::make_shared<LateThrower>();
  std::weak_ptr<Logged> log_alive = l;
  std::weak_ptr<LateThrower> store_alive = store;
  {
    GuardedUserStore guarded(std::move(store), "late", shared_log(l), 50ms);
    EXPECT_EQ(guarded.find({sdk::AddressKind::email, "a@example.com"}).code(),
              sdk::ErrorCode::unavailable);
  }
  l.reset();
  EXPECT_FALSE(log_alive.expired()) << "the stuck call still holds the log it will write to";
  EXPECT_FALSE(store_alive.expired()) << "and the store whose code it is running";
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while ((!log_alive.expired() || !store_alive.expired()) &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(store_alive.expired()) << "released once the call ended";
  EXPECT_TRUE(log_alive.expired()) << "released once the call ended";
}

}  // namespace
}  // namespace linkgate::plugin_host
