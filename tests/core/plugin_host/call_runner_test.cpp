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

TEST(CallRunner, ReturnsWhatTheCallReturns) {
  Logged l;
  CallRunner runner("p", 1s, l.log);
  auto r = runner.run<sdk::Result<int>>("m", [] { return sdk::Result<int>(42); });
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), 42);
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
  Logged l;
  GuardedDeliveryChannel channel(std::make_shared<SleepingChannel>(), "sleepy", l.log, 100ms);
  auto sent = channel.send(sdk::Message{});
  ASSERT_FALSE(sent.ok());
  EXPECT_EQ(sent.code(), sdk::ErrorCode::retryable);
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
  Logged l;
  GuardedTokenStrategy tokens(std::make_shared<Sloppy>(), "sloppy", l.log, 1s);
  auto issued = tokens.issue(sdk::LinkGrant{});
  ASSERT_FALSE(issued.ok());
  EXPECT_EQ(issued.code(), sdk::ErrorCode::internal);
  EXPECT_NE(l.text.str().find("plugin sloppy returned a token that is not URL-safe from issue"),
            std::string::npos);
}

}  // namespace
}  // namespace linkgate::plugin_host
