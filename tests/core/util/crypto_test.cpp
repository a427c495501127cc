#include "util/crypto.h"

#include <gtest/gtest.h>

#include <array>
#include <set>

#include "util/base64url.h"

namespace linkgate::util {
namespace {

TEST(Crypto, HmacMatchesRfc4231TestCase2) {
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, Sha256OfAbc) {
  EXPECT_EQ(to_hex(sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Crypto, ConstantTimeEqualComparesContentAndLength) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(Crypto, RandomBytesDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(random_bytes(16));
  EXPECT_EQ(seen.size(), 100u);
  EXPECT_EQ(random_bytes(33).size(), 33u);
}

TEST(Crypto, RandomDigitsAreDigitsAndRoughlyUniform) {
  std::array<int, 10> counts{};
  for (int i = 0; i < 2000; ++i) {
    auto code = random_digits(6);
    ASSERT_EQ(code.size(), 6u);
    for (char c : code) {
      ASSERT_TRUE(c >= '0' && c <= '9');
      ++counts[static_cast<std::size_t>(c - '0')];
    }
  }
  // 12000 digits: each digit expected 1200 times; 900..1500 is far outside chance (>8 sigma).
  for (int n : counts) {
    EXPECT_GT(n, 900);
    EXPECT_LT(n, 1500);
  }
}

TEST(Base64Url, RoundTripsEveryLength) {
  std::string bytes;
  for (int i = 0; i < 70; ++i) {
    auto encoded = base64url_encode(bytes);
    EXPECT_EQ(encoded.find_first_of("+/="), std::string::npos);
    EXPECT_EQ(base64url_decode(encoded), bytes);
    bytes.push_back(static_cast<char>(i * 37));
  }
}

TEST(Base64Url, KnownVectorsAndRejects) {
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("-_8"), std::string("\xfb\xff"));
  EXPECT_FALSE(base64url_decode("a"));     // impossible length
  EXPECT_FALSE(base64url_decode("ab=c"));  // padding and other alphabets refused
  EXPECT_FALSE(base64url_decode("ab+/"));
  EXPECT_FALSE(base64url_decode("-_9"));  // non-zero trailing bits: not canonical
}

}  // namespace
}  // namespace linkgate::util
