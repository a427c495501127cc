#include "util/es256.h"

#include <Poco/Crypto/ECKey.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <random>
#include <set>
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

// The reference a verifier elsewhere runs: OpenSSL's own ECDSA verify with the public key alone
// (u1*G + u2*Q), on r and s as the token carries them.
EVP_PKEY* public_key_alone(const Es256Key& key) {
  const std::string pem = key.public_pem();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pub = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return pub;
}

bool verified_with_public_key_alone(EVP_PKEY* pub, std::string_view data,
                                    std::string_view signature) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG_set0(sig, BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int der_length = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, pub) == 1 &&
      EVP_DigestVerify(ctx, der, static_cast<std::size_t>(der_length),
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  return ok;
}

std::string big_endian_32(const BIGNUM* n) {
  std::string out(32, '\0');
  BN_bn2binpad(n, reinterpret_cast<unsigned char*>(out.data()), 32);
  return out;
}

// verify() uses the private scalar (t*G with t = (e + r*d)/s) where a verifier elsewhere uses the
// public point: for every signature, good or bad, the two must say the same.
TEST(Es256, VerifiesExactlyWhatThePublicKeyAloneVerifies) {
  auto key = Es256Key::from_private_pem(fresh_pem());
  EVP_PKEY* pub = public_key_alone(key);
  std::mt19937_64 random(20261202);
  BIGNUM* order = BN_new();
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  BN_copy(order, EC_GROUP_get0_order(group));
  BIGNUM* value = BN_new();
  const auto scalar = [&](long offset_from_order) {
    BN_copy(value, order);
    if (offset_from_order >= 0) {
      BN_add_word(value, static_cast<BN_ULONG>(offset_from_order));
    } else {
      BN_sub_word(value, static_cast<BN_ULONG>(-offset_from_order));
    }
    return big_endian_32(value);
  };
  int agreed_valid = 0, agreed_invalid = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string data = "payload." + std::to_string(random());
    const std::string good = key.sign(data);
    std::vector<std::string> candidates = {good};
    std::string flipped = good;
    flipped[random() % 64] ^= static_cast<char>(1u << (random() % 8));
    candidates.push_back(flipped);
    std::string garbage(64, '\0');
    for (char& c : garbage) c = static_cast<char>(random());
    candidates.push_back(garbage);
    // (r, n - s) is the other valid signature of the same message: both must take it.
    BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(good.data()) + 32, 32, nullptr);
    BN_sub(s, order, s);
    candidates.push_back(good.substr(0, 32) + big_endian_32(s));
    BN_free(s);
    // r and s at and around the ends of their range.
    const std::string r = good.substr(0, 32), s_good = good.substr(32);
    for (long offset : {-1L, 0L, 1L}) {
      candidates.push_back(scalar(offset) + s_good);
      candidates.push_back(r + scalar(offset));
    }
    candidates.push_back(std::string(32, '\0') + s_good);
    candidates.push_back(r + std::string(32, '\0'));
    candidates.push_back(std::string(64, '\xff'));
    for (const auto& candidate : candidates) {
      const bool reference = verified_with_public_key_alone(pub, data, candidate);
      ASSERT_EQ(key.verify(data, candidate), reference) << i;
      ++(reference ? agreed_valid : agreed_invalid);
    }
    ASSERT_FALSE(key.verify(data + "x", good));
  }
  EXPECT_EQ(agreed_valid, 600) << "each good signature and its (r, n - s) twin";
  BN_free(value);
  BN_free(order);
  EC_GROUP_free(group);
  EVP_PKEY_free(pub);
}

// Signatures from four threads at once: each is what a verifier with the public key alone
// accepts, and no two share an r.
void expect_sound_signatures_from_many_threads(const Es256Key& key) {
  EVP_PKEY* pub = public_key_alone(key);
  constexpr int kThreads = 4, kEach = 60;
  std::vector<std::vector<std::pair<std::string, std::string>>> signed_by(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        std::string data = "thread " + std::to_string(t) + " token " + std::to_string(i);
        std::string signature = key.sign(data);
        signed_by[t].emplace_back(std::move(data), std::move(signature));
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> rs;
  for (const auto& list : signed_by) {
    for (const auto& [data, signature] : list) {
      ASSERT_EQ(signature.size(), 64u);
      EXPECT_TRUE(verified_with_public_key_alone(pub, data, signature)) << data;
      EXPECT_TRUE(rs.insert(signature.substr(0, 32)).second) << "a nonce used twice";
    }
  }
  EXPECT_EQ(rs.size(), static_cast<std::size_t>(kThreads * kEach));
  EVP_PKEY_free(pub);
}

// sign() takes each nonce from a batch computed ahead (util/ecdsa_presignatures).
TEST(Es256, SignaturesFromPresignaturesVerifyWithThePublicKeyAloneAndShareNoNonce) {
  expect_sound_signatures_from_many_threads(Es256Key::from_private_pem(fresh_pem()));
}

// Where the kernel cannot keep a batch from a forked child, each signature draws its nonce
// through EVP: the same guarantees, and verify() takes those signatures too.
TEST(Es256, SignaturesWithANonceDrawnEachTimeAreSoundToo) {
  const std::string pem = fresh_pem();
  const auto key = Es256Key::from_private_pem(pem, Es256Key::Nonces::each_at_signing);
  expect_sound_signatures_from_many_threads(key);
  const std::string signature = key.sign("one message");
  EXPECT_TRUE(key.verify("one message", signature));
  EXPECT_TRUE(Es256Key::from_private_pem(pem).verify("one message", signature))
      << "the same key with presignatures";
  EXPECT_FALSE(key.verify("another message", signature));
}

// A key file whose public point is not its private scalar's: tokens signed with the scalar would
// pass verify() here and fail with every verifier that reads the published point.
TEST(Es256, RefusesAKeyWhosePublicPointIsAnotherKeys) {
  EVP_PKEY* one = EVP_EC_gen("P-256");
  EVP_PKEY* other = EVP_EC_gen("P-256");
  BIGNUM* priv = nullptr;
  unsigned char pub[65];
  std::size_t pub_length = 0;
  ASSERT_EQ(EVP_PKEY_get_bn_param(one, OSSL_PKEY_PARAM_PRIV_KEY, &priv), 1);
  ASSERT_EQ(
      EVP_PKEY_get_octet_string_param(other, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub, &pub_length),
      1);
  OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
  OSSL_PARAM_BLD_push_utf8_string(build, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_PRIV_KEY, priv);
  OSSL_PARAM_BLD_push_octet_string(build, OSSL_PKEY_PARAM_PUB_KEY, pub, pub_length);
  OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(build);
  EVP_PKEY_CTX* from = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* mixed = nullptr;
  ASSERT_EQ(EVP_PKEY_fromdata_init(from), 1);
  ASSERT_EQ(EVP_PKEY_fromdata(from, &mixed, EVP_PKEY_KEYPAIR, params), 1);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio, mixed, nullptr, nullptr, 0, nullptr, nullptr), 1);
  char* text = nullptr;
  const long length = BIO_get_mem_data(bio, &text);
  const std::string pem(text, static_cast<std::size_t>(length));
  BIO_free(bio);
  EVP_PKEY_free(mixed);
  EVP_PKEY_CTX_free(from);
  OSSL_PARAM_free(params);
  OSSL_PARAM_BLD_free(build);
  BN_free(priv);
  EVP_PKEY_free(one);
  EVP_PKEY_free(other);
  try {
    Es256Key::from_private_pem(pem);
    FAIL() << "a mismatched key was taken";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("public point"), std::string::npos) << e.what();
  }
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
