#include "util/es256.h"

#include <Poco/Crypto/ECKey.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include <gtest/gtest.h>

#include <sstream>
#include <thread>
#include <vector>

#include "util/base64url.h"

namespace linkgate::util {
namespace {

std::string fresh_pem(const std::string& curve = "prime256v1") {
  std::ostringstream pem;
  Poco::Crypto::ECKey(curve).save(nullptr, &pem);
  return pem.str();
}

TEST(Es256, SignsAndVerifiesAndRefusesEveryChange) {
  auto key = Es256Key::from_private_pem(fresh_pem());
  const std::string data = "header.payload";
  const std::string sig = key.sign(data);
  ASSERT_EQ(sig.size(), 64u);
  EXPECT_TRUE(key.verify(data, sig));
  EXPECT_NE(key.sign(data), sig) << "ECDSA signatures are randomised";
  EXPECT_FALSE(key.verify("header.payloaD", sig));
  for (std::size_t i = 0; i < sig.size(); ++i) {
    std::string bad = sig;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_FALSE(key.verify(data, bad)) << i;
  }
  EXPECT_FALSE(key.verify(data, sig.substr(0, 63)));
  EXPECT_FALSE(key.verify(data, std::string(64, '\0')));
  EXPECT_FALSE(Es256Key::from_private_pem(fresh_pem()).verify(data, sig)) << "another key";
}

// The same tokens as before the change: Poco's JWT verifies what this signs, and this
// verifies what Poco signed, with one key.
TEST(Es256, TokensInteroperateWithPocosJwt) {
  const std::string pem = fresh_pem();
  auto key = Es256Key::from_private_pem(pem);
  std::istringstream in(pem);
  Poco::SharedPtr<Poco::Crypto::ECKey> poco_key(new Poco::Crypto::ECKey(nullptr, &in));
  Poco::JWT::Signer signer(poco_key);
  signer.setAlgorithms({"ES256"});

  const std::string ours = es256_jws(key, R"({"alg":"ES256","typ":"JWT"})", R"({"sub":"a"})");
  Poco::JWT::Token parsed;
  EXPECT_TRUE(signer.tryVerify(ours, parsed)) << ours;
  EXPECT_EQ(parsed.payload().getValue<std::string>("sub"), "a");

  Poco::JWT::Token token;
  token.payload().set("sub", std::string("b"));
  const std::string theirs = signer.sign(token, "ES256");
  const auto last = theirs.rfind('.');
  EXPECT_TRUE(key.verify(std::string_view(theirs).substr(0, last),
                         *base64url_decode(std::string_view(theirs).substr(last + 1))));
}

TEST(Es256, OnlyP256KeysAreTaken) {
  EXPECT_THROW(Es256Key::from_private_pem(fresh_pem("secp384r1")), std::runtime_error);
  EXPECT_THROW(Es256Key::from_private_pem("not a key"), std::runtime_error);
  try {
    Es256Key::from_private_pem(fresh_pem("secp384r1"));
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("P-256"), std::string::npos) << e.what();
  }
}

TEST(Es256, OneKeySignsFromManyThreads) {
  auto key = Es256Key::from_private_pem(fresh_pem());
  std::vector<std::thread> threads;
  std::atomic<int> good{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        const std::string data = std::to_string(t) + "." + std::to_string(i);
        good += key.verify(data, key.sign(data)) ? 1 : 0;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(good.load(), 400);
}

}  // namespace
}  // namespace linkgate::util
