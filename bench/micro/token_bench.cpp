// Token work per sign-in, next to raw ECDSA P-256 (compare with `openssl speed ecdsap256`).
//   build/bench/token_bench --benchmark_min_time=2

#include <benchmark/benchmark.h>

#include "jwt_config.h"
#include "jwt_token_strategy.h"
#include "plugin_host/guarded_plugins.h"
#include "session/session_tokens.h"
#include "session/signing_keys.h"
#include "support/temp_dir.h"
#include "support/test_services.h"
#include "util/crypto.h"

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

void BM_LinkTokenInspect(benchmark::State& state) {
  Fixture f;
  auto token = f.jwt->issue(f.grant)->token;
  for (auto _ : state) benchmark::DoNotOptimize(f.jwt->inspect(token));
}
BENCHMARK(BM_LinkTokenInspect);

// The same inspect as the server makes it: through the guard that contains exceptions and runs
// the call on the plugin's own thread under its call_timeout. The difference to
// BM_LinkTokenInspect is the price of the deadline.
void BM_LinkTokenInspectGuarded(benchmark::State& state) {
  Fixture f;
  auto token = f.jwt->issue(f.grant)->token;
  std::shared_ptr<sdk::TokenStrategy> inner(f.jwt.release());
  plugin_host::GuardedTokenStrategy guarded(inner, "jwt", f.services.shared.log,
                                            std::chrono::seconds(10));
  for (auto _ : state) benchmark::DoNotOptimize(guarded.inspect(token));
}
BENCHMARK(BM_LinkTokenInspectGuarded);

// A full redeem: verify and record the token id in the replay cache.
void BM_LinkTokenRedeem(benchmark::State& state) {
  Fixture f;
  std::vector<std::string> tokens;
  for (int i = 0; i < 5000; ++i) tokens.push_back(f.jwt->issue(f.grant)->token);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.jwt->redeem(tokens[i++ % tokens.size()]));
  }
}
BENCHMARK(BM_LinkTokenRedeem)->Iterations(5000);

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
