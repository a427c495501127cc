#include "signature_memo.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace linkgate::plugins::jwt {
namespace {

const std::string kToken = "eyJhbGciOiJFUzI1NiJ9.eyJqdGkiOiIxIn0.c2lnbmF0dXJl";

TEST(SignatureMemo, HoldsOnlyTheExactTokenItWasGiven) {
  SignatureMemo memo;
  EXPECT_FALSE(memo.holds(kToken));
  memo.remember(kToken);
  EXPECT_TRUE(memo.holds(kToken));
  for (std::size_t i = 0; i < kToken.size(); ++i) {
    std::string other = kToken;
    other[i] = other[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(memo.holds(other)) << "byte " << i;
  }
  EXPECT_FALSE(memo.holds(kToken + "A"));
  EXPECT_FALSE(memo.holds(kToken.substr(0, kToken.size() - 1)));
  EXPECT_FALSE(memo.holds(""));
}

TEST(SignatureMemo, KeepsOneTokenTheLastOne) {
  SignatureMemo memo;
  memo.remember(kToken);
  memo.remember(kToken + "x");
  EXPECT_FALSE(memo.holds(kToken));
  EXPECT_TRUE(memo.holds(kToken + "x"));
}

TEST(SignatureMemo, AnotherInstanceVouchesForNothing) {
  SignatureMemo first;
  first.remember(kToken);
  SignatureMemo second;
  EXPECT_FALSE(second.holds(kToken));
  EXPECT_TRUE(first.holds(kToken));
}

TEST(SignatureMemo, EachThreadHasItsOwn) {
  SignatureMemo memo;
  memo.remember(kToken);
  bool held_elsewhere = true;
  std::thread([&] { held_elsewhere = memo.holds(kToken); }).join();
  EXPECT_FALSE(held_elsewhere);
  EXPECT_TRUE(memo.holds(kToken));
}

TEST(SignatureMemo, ATokenTooLongIsNeverKeptAndForgetsTheLast) {
  SignatureMemo memo;
  memo.remember(kToken);
  const std::string long_token(2000, 'a');
  memo.remember(long_token);
  EXPECT_FALSE(memo.holds(long_token));
  EXPECT_FALSE(memo.holds(kToken));
}

}  // namespace
}  // namespace linkgate::plugins::jwt
