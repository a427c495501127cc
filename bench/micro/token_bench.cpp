// Token work per sign-in, next to raw ECDSA P-256 (compare with `openssl speed ecdsap256`).
//   build/bench/token_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <string>
#include <vector>

#include "jwt_config.h"
#include "jwt_token_strategy.h"
#include "plugin_host/guarded_plugins.h"
#include "session/session_tokens.h"
#include "session/signing_keys.h"
#include "support/temp_dir.h"
#include "support/test_services.h"
#include "util/crypto.h"
#include "util/es256.h"
#include "util/files.h"

namespace {

using namespace linkgate;

struct Fixture {
  testing::TempDir dir;
  testing::TestServices services;
  std::unique_ptr<plugins::jwt::JwtTokenStrategy> jwt;
  sdk::LinkGrant grant;
  Fixture(bool single_use = true) {
    const auto s = plugins::jwt::settings_with(
        {{"key_file", dir.file("link.pem")}, {"single_use", single_use ? "true" : "false"}});
    jwt = std::make_unique<plugins::jwt::JwtTokenStrategy>(s, *services.host);
    auto now = services.clock->now_seconds();
    grant = {"flow-abcdefghijklmnop",
             "usr_abcdefghijklmnopqrst",
             {sdk::AddressKind::email, "alice@example.com"},
             "https://app.example.com/done",
             now,
             now + 900};
  }
};

void BM_LinkTokenIssue(benchmark::State& state) {
  Fixture f;
  for (auto _ : state) benchmark::DoNotOptimize(f.jwt->issue(f.grant));
}
BENCHMARK(BM_LinkTokenIssue);

// Distinct tokens: the same one again would find its signature already verified on this thread.
std::vector<std::string> link_tokens(Fixture& f, int count = 1000) {
  std::vector<std::string> tokens;
  for (int i = 0; i < count; ++i) tokens.push_back(f.jwt->issue(f.grant)->token);
  return tokens;
}

void BM_LinkTokenInspect(benchmark::State& state) {
  Fixture f;
  const auto tokens = link_tokens(f);
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(f.jwt->inspect(tokens[i++ % tokens.size()]));
}
BENCHMARK(BM_LinkTokenInspect);

// The same inspect as the server makes it: through the guard that contains exceptions and runs
// the call on the plugin's own thread under its call_timeout. The difference to
// BM_LinkTokenInspect is the price of the deadline.
void BM_LinkTokenInspectGuarded(benchmark::State& state) {
  Fixture f;
  const auto tokens = link_tokens(f);
  std::shared_ptr<sdk::TokenStrategy> inner(f.jwt.release());
  plugin_host::GuardedTokenStrategy guarded(inner, "jwt", f.services.shared.log,
                                            std::chrono::seconds(10));
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(guarded.inspect(tokens[i++ % tokens.size()]));
}
BENCHMARK(BM_LinkTokenInspectGuarded);

// A full redeem: verify and record the token id in the replay cache.
void BM_LinkTokenRedeem(benchmark::State& state) {
  Fixture f;
  const auto tokens = link_tokens(f, 5000);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.jwt->redeem(tokens[i++ % tokens.size()]));
  }
}
BENCHMARK(BM_LinkTokenRedeem)->Iterations(5000);

// What the server does with a link, without the replay cache: inspect() and then redeem() of the
// same token on one thread. Its signature is verified once (signature_memo.h), so this is close
// to one BM_LinkTokenInspect, not two.
void BM_LinkTokenInspectThenRedeem(benchmark::State& state) {
  Fixture f(false);
  const auto tokens = link_tokens(f);
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& token = tokens[i++ % tokens.size()];
    benchmark::DoNotOptimize(f.jwt->inspect(token));
    benchmark::DoNotOptimize(f.jwt->redeem(token));
  }
}
BENCHMARK(BM_LinkTokenInspectThenRedeem);

void BM_SessionIssue(benchmark::State& state) {
  Fixture f;
  session::SigningKeys keys(f.dir.file("keys"), std::chrono::hours(720), std::chrono::hours(1),
                            *f.services.clock);
  session::SessionTokens sessions(keys, "https://id.example.com", "linkgate", std::chrono::hours(1),
                                  *f.services.host);
  sdk::User user{"usr_abcdefghijklmnopqrst", "alice@example.com", "", ""};
  for (auto _ : state) benchmark::DoNotOptimize(sessions.issue(user));
}
BENCHMARK(BM_SessionIssue);

void BM_SessionVerify(benchmark::State& state) {
  Fixture f;
  session::SigningKeys keys(f.dir.file("keys"), std::chrono::hours(720), std::chrono::hours(1),
                            *f.services.clock);
  session::SessionTokens sessions(keys, "https://id.example.com", "linkgate", std::chrono::hours(1),
                                  *f.services.host);
  auto token = sessions.issue({"usr_abcdefghijklmnopqrst", "alice@example.com", "", ""})->token;
  for (auto _ : state) benchmark::DoNotOptimize(sessions.verify(token));
}
BENCHMARK(BM_SessionVerify);

// The raw operations the token work wraps, as `openssl speed ecdsap256` runs them: ECDSA on a
// ready SHA-256 digest with a context set up once. The ratios in docs/performance.md are taken
// against these, in the same run.
struct RawKey {
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* sign = nullptr;
  EVP_PKEY_CTX* verify = nullptr;
  unsigned char digest[32] = {1};
  unsigned char der[80];
  std::size_t der_length = sizeof der;
  RawKey() {
    key = EVP_EC_gen("P-256");
    sign = EVP_PKEY_CTX_new(key, nullptr);
    verify = EVP_PKEY_CTX_new(key, nullptr);
    EVP_PKEY_sign_init(sign);
    EVP_PKEY_verify_init(verify);
    EVP_PKEY_sign(sign, der, &der_length, digest, sizeof digest);
  }
  ~RawKey() {
    EVP_PKEY_CTX_free(sign);
    EVP_PKEY_CTX_free(verify);
    EVP_PKEY_free(key);
  }
};

void BM_RawEcdsaP256Sign(benchmark::State& state) {
  RawKey k;
  for (auto _ : state) {
    std::size_t length = sizeof k.der;
    benchmark::DoNotOptimize(EVP_PKEY_sign(k.sign, k.der, &length, k.digest, sizeof k.digest));
  }
}
BENCHMARK(BM_RawEcdsaP256Sign);

void BM_RawEcdsaP256Verify(benchmark::State& state) {
  RawKey k;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        EVP_PKEY_verify(k.verify, k.der, k.der_length, k.digest, sizeof k.digest));
  }
}
BENCHMARK(BM_RawEcdsaP256Verify);

// A P-256 key as the jwt plugin writes it (a PEM file), read back.
util::Es256Key key_the_plugin_writes() {
  testing::TempDir dir;
  const auto s = plugins::jwt::settings_with({{"key_file", dir.file("k.pem")}});
  testing::TestServices services;
  plugins::jwt::JwtTokenStrategy make_key(s, *services.host);  // writes the PEM
  return util::Es256Key::from_private_pem(*util::read_file(dir.file("k.pem")));
}

// The wrapper alone: SHA-256 of a token-sized input, ECDSA, and r||s out of DER.
void BM_Es256SignWrapper(benchmark::State& state) {
  const auto key = key_the_plugin_writes();
  const std::string data(300, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(key.sign(data));
}
BENCHMARK(BM_Es256SignWrapper);

// The same for verifying: SHA-256, r||s into DER, ECDSA.
void BM_Es256VerifyWrapper(benchmark::State& state) {
  const auto key = key_the_plugin_writes();
  const std::string data(300, 'x');
  const std::string signature = key.sign(data);
  for (auto _ : state) benchmark::DoNotOptimize(key.verify(data, signature));
}
BENCHMARK(BM_Es256VerifyWrapper);

// SHA-256 of a link token's signing input: OpenSSL's one-shot SHA256() (which fetches the digest
// by name on every call in OpenSSL 3) against util::sha256, which every ES256 signature and
// verify runs.
void BM_Sha256OneShot(benchmark::State& state) {
  const std::string data(300, 'x');
  unsigned char out[SHA256_DIGEST_LENGTH];
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out));
  }
}
BENCHMARK(BM_Sha256OneShot);

void BM_Sha256(benchmark::State& state) {
  const std::string data(300, 'x');
  for (auto _ : state) benchmark::DoNotOptimize(util::sha256(data));
}
BENCHMARK(BM_Sha256);

void BM_CodeMacCompare(benchmark::State& state) {
  const std::string secret = util::random_bytes(32);
  const std::string stored = util::hmac_sha256(secret, "otp:flow-abcdefghijklmnop:123456");
  for (auto _ : state) {
    benchmark::DoNotOptimize(util::constant_time_equal(
        util::hmac_sha256(secret, "otp:flow-abcdefghijklmnop:123457"), stored));
  }
}
BENCHMARK(BM_CodeMacCompare);

}  // namespace

BENCHMARK_MAIN();
