#pragma once
/// @file
/// The conformance suite every token strategy should pass. Instantiate it once, in one test
/// file, with a TokenStrategyCase:
/// @code
///   using linkgate::testkit::TokenStrategyCase;
///   using linkgate::testkit::TokenStrategyConformance;
///   TokenStrategyCase my_case();  // yours: makes the strategy under test
///   INSTANTIATE_TEST_SUITE_P(Mine, TokenStrategyConformance, ::testing::Values(my_case()),
///                            linkgate::testkit::case_name<TokenStrategyCase>);
/// @endcode

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "linkgate/sdk/token_strategy.h"
#include "linkgate/testkit/case_name.h"
#include "linkgate/testkit/test_host.h"

namespace linkgate::testkit {

struct TokenStrategyCase {
  std::string name;  ///< Letters, digits and underscores (it names the tests).
  /// Makes the strategy; it must use @p host's clock for expiry (once per test).
  std::function<std::shared_ptr<sdk::TokenStrategy>(TestHost& host)> make;
  /// True when revoke_subject() is supported (else it must answer ErrorCode::unsupported).
  bool revocable = false;
};
/// Prints the case by its name in test output.
inline void PrintTo(const TokenStrategyCase& c, std::ostream* os) {
  *os << c.name;
}

class TokenStrategyConformance : public ::testing::TestWithParam<TokenStrategyCase> {
 protected:
  sdk::LinkGrant grant(TestHost& host, const std::string& flow = "flow-1", std::int64_t ttl = 900) {
    const auto now = host.clock().now_seconds();
    return {
        flow, "user-1", {sdk::AddressKind::email, "a@example.com"}, "https://app.example.com/done",
        now,  now + ttl};
  }
  static void expect_same(const sdk::LinkGrant& a, const sdk::LinkGrant& b) {
    EXPECT_EQ(a.flow_id, b.flow_id);
    EXPECT_EQ(a.subject, b.subject);
    EXPECT_EQ(a.identifier.kind, b.identifier.kind);
    EXPECT_EQ(a.identifier.value, b.identifier.value);
    EXPECT_EQ(a.redirect_uri, b.redirect_uri);
    EXPECT_EQ(a.expires_at, b.expires_at);
  }
};

TEST_P(TokenStrategyConformance, IssueInspectRedeemRoundTrip) {
  TestHost host;
  auto s = GetParam().make(host);
  ASSERT_TRUE(s->ready().ok()) << s->ready().error().message;
  const auto g = grant(host);
  auto issued = s->issue(g);
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  EXPECT_FALSE(issued->token.empty());
  for (unsigned char c : issued->token) {
    EXPECT_TRUE(std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~')
        << "a token must be URL-safe as it is";
  }
  auto seen = s->inspect(issued->token);
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  expect_same(seen.value(), g);
  auto on_the_way = s->inspect_for_redeem(issued->token);
  ASSERT_TRUE(on_the_way.ok()) << on_the_way.error().message;
  expect_same(on_the_way.value(), g);
  auto redeemed = s->redeem(issued->token);
  ASSERT_TRUE(redeemed.ok()) << redeemed.error().message;
  expect_same(redeemed.value(), g);
}

TEST_P(TokenStrategyConformance, InspectConsumesNothing) {
  TestHost host;
  auto s = GetParam().make(host);
  auto issued = s->issue(grant(host));
  ASSERT_TRUE(issued.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(s->inspect(issued->token).ok());
    ASSERT_TRUE(s->inspect_for_redeem(issued->token).ok());
  }
  EXPECT_TRUE(s->redeem(issued->token).ok());
}

TEST_P(TokenStrategyConformance, RedeemsOnlyOnce) {
  TestHost host;
  auto s = GetParam().make(host);
  auto issued = s->issue(grant(host));
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(s->redeem(issued->token).ok());
  auto again = s->redeem(issued->token);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.code(), sdk::ErrorCode::used);
  auto seen = s->inspect(issued->token);
  ASSERT_FALSE(seen.ok());
  EXPECT_EQ(seen.code(), sdk::ErrorCode::used);
  // May leave "used" to redeem(); if it answers, it is the grant or "used", never a new life.
  auto on_the_way = s->inspect_for_redeem(issued->token);
  if (!on_the_way.ok()) {
    EXPECT_EQ(on_the_way.code(), sdk::ErrorCode::used);
  }
  auto still = s->redeem(issued->token);
  ASSERT_FALSE(still.ok());
  EXPECT_EQ(still.code(), sdk::ErrorCode::used);
}

TEST_P(TokenStrategyConformance, ExpiresByTheHostsClock) {
  TestHost host;
  auto s = GetParam().make(host);
  auto issued = s->issue(grant(host, "flow-exp", 60));
  ASSERT_TRUE(issued.ok());
  host.test_clock().advance(std::chrono::seconds(30));
  EXPECT_TRUE(s->inspect(issued->token).ok()) << "still valid half-way";
  host.test_clock().advance(std::chrono::seconds(120));  // past expiry and any sane leeway
  auto late_look = s->inspect_for_redeem(issued->token);
  ASSERT_FALSE(late_look.ok());
  EXPECT_EQ(late_look.code(), sdk::ErrorCode::expired);
  auto late = s->redeem(issued->token);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.code(), sdk::ErrorCode::expired);
}

TEST_P(TokenStrategyConformance, RefusesEveryTamperedCharacter) {
  TestHost host;
  auto s = GetParam().make(host);
  const auto g = grant(host);
  auto issued = s->issue(g);
  ASSERT_TRUE(issued.ok());
  const std::string token = issued->token;
  for (std::size_t i = 0; i < token.size(); ++i) {
    std::string changed = token;
    changed[i] = token[i] == 'A' ? 'B' : 'A';
    for (const bool for_redeem : {false, true}) {
      auto seen = for_redeem ? s->inspect_for_redeem(changed) : s->inspect(changed);
      if (seen.ok()) {
        // Only a change the encoding ignores (spare bits of the last base64 character) may
        // pass, and then it must be the very same grant.
        expect_same(seen.value(), g);
        EXPECT_EQ(i, token.size() - 1) << "a change at " << i << " verified";
      } else {
        EXPECT_TRUE(seen.code() == sdk::ErrorCode::invalid ||
                    seen.code() == sdk::ErrorCode::not_found)
            << "at " << i << ": " << seen.error().message;
      }
    }
  }
  EXPECT_TRUE(s->redeem(token).ok()) << "probing consumed nothing";
}

TEST_P(TokenStrategyConformance, RefusesGarbageWithoutThrowing) {
  TestHost host;
  auto s = GetParam().make(host);
  for (const std::string& garbage :
       {std::string(), std::string("x"), std::string("a.b.c"), std::string(10'000, 'A'),
        std::string("tok\r\nen"), std::string("\0\0\0", 3),
        std::string("eyJhbGciOiJub25lIn0.e30.")}) {
    auto seen = s->inspect(garbage);
    EXPECT_FALSE(seen.ok());
    EXPECT_FALSE(s->inspect_for_redeem(garbage).ok());
    auto redeemed = s->redeem(garbage);
    EXPECT_FALSE(redeemed.ok());
  }
}

TEST_P(TokenStrategyConformance, ExactlyOneOfTwentyConcurrentRedeemsWins) {
  TestHost host;
  auto s = GetParam().make(host);
  auto issued = s->issue(grant(host));
  ASSERT_TRUE(issued.ok());
  std::atomic<int> won{0}, used{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      auto r = s->redeem(issued->token);
      if (r.ok()) ++won;
      if (r.code() == sdk::ErrorCode::used) ++used;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(used.load(), 19);
}

TEST_P(TokenStrategyConformance, ManyThreadsIssueAndRedeemTheirOwnTokens) {
  TestHost host;
  auto s = GetParam().make(host);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 20; ++i) {
        auto issued = s->issue(grant(host, "flow-" + std::to_string(t) + "-" + std::to_string(i)));
        if (issued.ok() && s->redeem(issued->token).ok()) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 160);
}

TEST_P(TokenStrategyConformance, RevokeSubjectEndsOutstandingTokensOrSaysUnsupported) {
  TestHost host;
  auto s = GetParam().make(host);
  auto issued = s->issue(grant(host));
  ASSERT_TRUE(issued.ok());
  auto revoked = s->revoke_subject("user-1");
  if (!GetParam().revocable) {
    ASSERT_FALSE(revoked.ok());
    EXPECT_EQ(revoked.code(), sdk::ErrorCode::unsupported);
    return;
  }
  ASSERT_TRUE(revoked.ok()) << revoked.error().message;
  EXPECT_FALSE(s->redeem(issued->token).ok());
}

}  // namespace linkgate::testkit
