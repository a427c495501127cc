#include "util/crypto.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <set>
#include <string>

#include "util/base64url.h"

namespace linkgate::util {
namespace {

TEST(Crypto, HmacMatchesRfc4231TestCase2) {
  EXPECT_EQ(to_hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Crypto, HmacMatchesTheOtherRfc4231TestCases) {
  EXPECT_EQ(to_hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(to_hex(hmac_sha256(std::string(20, '\xaa'), std::string(50, '\xdd'))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4.push_back(static_cast<char>(i));
  EXPECT_EQ(to_hex(hmac_sha256(key4, std::string(50, '\xcd'))),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // A key longer than the block is hashed first (cases 6 and 7).
  EXPECT_EQ(to_hex(hmac_sha256(std::string(131, '\xaa'),
                               "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(to_hex(hmac_sha256(
                std::string(131, '\xaa'),
                "This is a test using a larger than block-size key and a larger than block-size "
                "data. The key needs to be hashed before being used by the HMAC algorithm.")),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
  EXPECT_EQ(to_hex(hmac_sha256(std::string(64, 'k'), "")).size(), 64u) << "a block-sized key";
  EXPECT_NE(hmac_sha256(std::string(64, 'k'), ""), hmac_sha256(std::string(63, 'k'), ""));
}

TEST(Crypto, AKeyHashedOnceMacsEveryMessageAsTheOneShotHmacDoes) {
  const HmacSha256Key jefe("Jefe");
  const HmacSha256Key long_key(std::string(131, '\xaa'));
  const HmacSha256Key copy = jefe;
  for (int round = 0; round < 3; ++round) {  // the hashed pads are not used up by a message
    EXPECT_EQ(to_hex(jefe.mac("what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(to_hex(copy.mac("what do ya want for nothing?")),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    EXPECT_EQ(to_hex(long_key.mac("Test Using Larger Than Block-Size Key - Hash Key First")),
              "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  }
  // Messages around SHA-256's block and padding edges, against OpenSSL's own HMAC.
  for (std::size_t size : {0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000}) {
    const std::string message(size, 'm');
    unsigned char expected[32];
    unsigned int length = 0;
    HMAC(EVP_sha256(), "Jefe", 4, reinterpret_cast<const unsigned char*>(message.data()),
         message.size(), expected, &length);
    EXPECT_EQ(jefe.mac(message), std::string(reinterpret_cast<char*>(expected), length)) << size;
  }
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

TEST(Crypto, RandomBytesRunOnPastABlockWithoutRepeating) {
  // Sizes that do not divide the block, so draws straddle refills; and some past a quarter
  // block, which go to OpenSSL directly.
  std::set<std::string> seen;
  for (int i = 0; i < 5000; ++i) seen.insert(random_bytes(17 + i % 24));
  for (int i = 0; i < 200; ++i) seen.insert(random_bytes(300));
  EXPECT_EQ(seen.size(), 5200u);
  EXPECT_EQ(random_bytes(0), "");
}

TEST(Crypto, AForkedChildDrawsBytesItsParentDoesNot) {
  (void)random_bytes(16);  // the parent's block holds bytes not yet handed out
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const auto bytes = random_bytes(32);
    (void)!::write(pipe_fds[1], bytes.data(), bytes.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  const auto mine = random_bytes(32);
  std::string theirs(32, '\0');
  std::size_t got = 0;
  while (got < theirs.size()) {
    const auto n = ::read(pipe_fds[0], theirs.data() + got, theirs.size() - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(pipe_fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_EQ(got, 32u);
  EXPECT_NE(mine, theirs) << "the child must not hand out the bytes its parent will";
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
