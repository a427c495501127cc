#pragma once
/// @file
/// The conformance suite every delivery channel should pass. Instantiate it once, in one test
/// file, with a DeliveryChannelCase that makes your channel and reads what reached its sink:
/// @code
///   using linkgate::testkit::DeliveryChannelCase;
///   using linkgate::testkit::DeliveryChannelConformance;
///   DeliveryChannelCase webhook_case();  // yours: makes the channel, reads its sink
///   INSTANTIATE_TEST_SUITE_P(Webhook, DeliveryChannelConformance,
///                            ::testing::Values(webhook_case()),
///                            linkgate::testkit::case_name<DeliveryChannelCase>);
/// @endcode

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "linkgate/sdk/delivery_channel.h"
#include "linkgate/testkit/case_name.h"
#include "linkgate/testkit/test_host.h"

namespace linkgate::testkit {

/// What the sink behind the channel does for the test.
enum class SinkState { working, failing_transiently, failing_permanently };

struct DeliveryChannelCase {
  std::string name;  ///< Letters, digits and underscores (it names the tests).
  sdk::AddressKind kind = sdk::AddressKind::email;
  std::string recipient;  ///< A valid address for this channel.
  /// Makes the channel with its sink in @p state (once per test).
  std::function<std::shared_ptr<sdk::DeliveryChannel>(TestHost& host, SinkState state)> make;
  /// What reached the sink so far, one string per message, holding at least its text.
  std::function<std::vector<std::string>(TestHost& host)> received;
  /// The failures make() can give the sink: the failure test sends through each and expects
  /// ErrorCode::retryable for a transient one, ErrorCode::permanent for a permanent one. A file
  /// can fail transiently (its folder gone) but not permanently: list only what the sink can do.
  std::vector<SinkState> failures{SinkState::failing_transiently, SinkState::failing_permanently};
  /// Deprecated (SDK 1.x): false meant "the failure tests are skipped"; set failures instead.
  /// False with failures left as they are still skips the failure test, reported as skipped.
  bool sink_can_fail = true;
};
/// Prints the case by its name in test output.
inline void PrintTo(const DeliveryChannelCase& c, std::ostream* os) {
  *os << c.name;
}

class DeliveryChannelConformance : public ::testing::TestWithParam<DeliveryChannelCase> {
 protected:
  sdk::Message message(const std::string& marker = "") const {
    sdk::Message m;
    m.id = "msg-" + marker + std::to_string(++counter_);
    m.kind = GetParam().kind;
    m.to = GetParam().recipient;
    m.subject = "Your sign-in link";
    m.link = "https://auth.example.com/v1/magic-links/verify?token=tok" + m.id;
    m.code = "493817";
    m.text = "Sign in: " + m.link + "\nCode: " + m.code + "\n";
    m.html =
        m.kind == sdk::AddressKind::email ? "<p><a href=\"" + m.link + "\">Sign in</a></p>" : "";
    m.locale = "en";
    return m;
  }
  /// Polls the sink for up to 10 s until it holds @p count messages.
  std::vector<std::string> wait_for(TestHost& host, std::size_t count) const {
    std::vector<std::string> got;
    for (int i = 0; i < 200; ++i) {
      got = GetParam().received(host);
      if (got.size() >= count) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return got;
  }
  mutable std::atomic<int> counter_{0};
};

TEST_P(DeliveryChannelConformance, DeliversTheLinkAndTheCodeToTheSink) {
  TestHost host;
  auto channel = GetParam().make(host, SinkState::working);
  ASSERT_TRUE(channel->ready().ok()) << channel->ready().error().message;
  const auto m = message();
  auto sent = channel->send(m);
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  auto got = wait_for(host, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_NE(got[0].find(m.link), std::string::npos) << got[0];
  EXPECT_NE(got[0].find(m.code), std::string::npos) << got[0];
}

TEST_P(DeliveryChannelConformance, RefusesCrLfInTheRecipientAndSendsNothing) {
  TestHost host;
  auto channel = GetParam().make(host, SinkState::working);
  for (const char* evil : {"\r\nBcc: victim@example.com", "\n", "\r"}) {
    auto m = message();
    m.to += evil;
    auto sent = channel->send(m);
    ASSERT_FALSE(sent.ok()) << "sent to an address with CR/LF";
    EXPECT_EQ(sent.code(), sdk::ErrorCode::invalid) << sent.error().message;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(GetParam().received(host).empty());
}

// An e-mail channel refuses the message; a text message carries no subject, so whatever it
// sends, nothing of the subject reaches the sink.
TEST_P(DeliveryChannelConformance, RefusesCrLfInTheSubject) {
  TestHost host;
  auto channel = GetParam().make(host, SinkState::working);
  auto m = message();
  m.subject = "Hello\r\nBcc: victim@example.com";
  auto sent = channel->send(m);
  if (GetParam().kind == sdk::AddressKind::email) {
    ASSERT_FALSE(sent.ok());
    EXPECT_EQ(sent.code(), sdk::ErrorCode::invalid);
  } else if (!sent.ok()) {
    EXPECT_EQ(sent.code(), sdk::ErrorCode::invalid) << sent.error().message;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (const auto& got : GetParam().received(host)) {
    EXPECT_EQ(got.find("victim@example.com"), std::string::npos) << got;
  }
}

TEST_P(DeliveryChannelConformance, ReportsEachFailureOfItsSinkAsRetryableOrPermanent) {
  if (!GetParam().sink_can_fail) GTEST_SKIP() << "sink_can_fail is false (deprecated)";
  ASSERT_FALSE(GetParam().failures.empty())
      << "list the failures the sink can be given (a sink that can never fail is none we know)";
  for (const SinkState state : GetParam().failures) {
    TestHost host;
    auto channel = GetParam().make(host, state);
    auto sent = channel->send(message());
    ASSERT_FALSE(sent.ok()) << "sent through a failing sink";
    EXPECT_EQ(sent.code(), state == SinkState::failing_transiently ? sdk::ErrorCode::retryable
                                                                   : sdk::ErrorCode::permanent)
        << sent.error().message;
  }
}

TEST_P(DeliveryChannelConformance, ConcurrentSendsAllArrive) {
  TestHost host;
  auto channel = GetParam().make(host, SinkState::working);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) ok += channel->send(message("t" + std::to_string(t))).ok();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(wait_for(host, 20).size(), 20u);
}

// Whether the channel takes batches or keeps SDK's default (a send() per message), a batch is
// answered message by message: a refused message fails alone and the others arrive.
TEST_P(DeliveryChannelConformance, ABatchIsAnsweredMessageByMessage) {
  TestHost host;
  auto channel = GetParam().make(host, SinkState::working);
  auto refused = message("crlf");
  refused.to += "\r\nBcc: victim@example.com";
  const std::vector<sdk::Message> batch{message("b"), refused, message("b")};
  const std::size_t limit = channel->batch_limit();
  ASSERT_GE(limit, 1u);
  std::vector<sdk::Result<void>> results;
  for (std::size_t first = 0; first < batch.size(); first += limit) {  // as the host splits it
    const auto end =
        batch.begin() + static_cast<std::ptrdiff_t>(std::min(batch.size(), first + limit));
    const std::vector<sdk::Message> part(batch.begin() + static_cast<std::ptrdiff_t>(first), end);
    auto answered = channel->send_batch(part);
    ASSERT_EQ(answered.size(), part.size()) << "one result per message";
    results.insert(results.end(), answered.begin(), answered.end());
  }
  EXPECT_TRUE(results[0].ok()) << results[0].error().message;
  EXPECT_EQ(results[1].code(), sdk::ErrorCode::invalid) << results[1].error().message;
  EXPECT_TRUE(results[2].ok()) << results[2].error().message;
  wait_for(host, 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // room for a third, if any
  const auto got = GetParam().received(host);
  EXPECT_EQ(got.size(), 2u);
  for (const auto& text : got) EXPECT_EQ(text.find("victim@example.com"), std::string::npos);
}

TEST_P(DeliveryChannelConformance, ReadySendsNothing) {
  TestHost host;
  auto channel = GetParam().make(host, SinkState::working);
  (void)channel->ready();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(GetParam().received(host).empty());
}

}  // namespace linkgate::testkit
