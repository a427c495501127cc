// The token parsers: the jwt strategy's inspect/inspect_for_redeem/redeem and the core's session
// tokens. The first byte picks a mode: parse the input as a token, or issue a real token and flip
// the bytes the input names — so the fuzzer reaches the paths behind a valid signature too. A token
// that was changed must never verify.
#include <cstdlib>
#include <filesystem>
#include <string>

#include "host/expiring_keys.h"
#include "host/host_services.h"
#include "jwt_config.h"
#include "jwt_token_strategy.h"
#include "session/session_tokens.h"
#include "session/signing_keys.h"

namespace {

using namespace linkgate;

struct World {
  std::string dir;
  host::SharedServices shared;
  std::shared_ptr<host::ManualClock> clock = std::make_shared<host::ManualClock>();
  std::unique_ptr<host::PluginServices> host;
  std::unique_ptr<plugins::jwt::JwtTokenStrategy> links;
  std::unique_ptr<session::SigningKeys> keys;
  std::unique_ptr<session::SessionTokens> sessions;

  World() {
    char name[] = "/tmp/linkgate-fuzz-XXXXXX";
    dir = ::mkdtemp(name);
    static std::ostringstream log;
    shared.log = std::make_shared<host::Log>(sdk::LogLevel::error, false, log);
    shared.clock = clock;
    shared.random = std::make_shared<host::OpenSslRandom>();
    shared.metrics = std::make_shared<host::MetricsRegistry>();
    shared.expiring_keys = std::make_shared<host::MemoryExpiringKeys>(*clock);
    shared.http = nullptr;
    host = std::make_unique<host::PluginServices>(shared, "fuzz");
    const auto settings = plugins::jwt::settings_with({{"key_file", dir + "/link.pem"}});
    links = std::make_unique<plugins::jwt::JwtTokenStrategy>(settings, *host);
    keys = std::make_unique<session::SigningKeys>(dir + "/keys", std::chrono::hours(24),
                                                  std::chrono::hours(1), *clock);
    sessions = std::make_unique<session::SessionTokens>(*keys, "https://id.example.com", "linkgate",
                                                        std::chrono::hours(1), *host);
  }
  ~World() { std::filesystem::remove_all(dir); }
};

World& world() {
  static World w;
  return w;
}

// Flips bits of @p token where @p edits says: pairs of (position, xor mask).
std::string mutate(std::string token, const unsigned char* edits, std::size_t size) {
  for (std::size_t i = 0; i + 1 < size; i += 2) {
    if (token.empty()) break;
    token[edits[i] * 7 % token.size()] ^= static_cast<char>(edits[i + 1]);
  }
  return token;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  if (size == 0) return 0;
  World& w = world();
  const unsigned mode = data[0] % 4;
  const std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::int64_t now = w.clock->now_seconds();
  switch (mode) {
    case 0: {  // a link token from nowhere
      auto grant = w.links->inspect(rest);
      auto on_the_way = w.links->inspect_for_redeem(rest);
      if (grant.ok() != on_the_way.ok()) std::abort();  // only "used" may differ; none is here
      if (grant.ok()) (void)w.links->redeem(rest);
      break;
    }
    case 1: {  // a real link token, changed
      sdk::LinkGrant grant{
          "flow", rest.substr(0, 40), {sdk::AddressKind::email, "a@example.com"}, "",
          now,    now + 900};
      auto issued = w.links->issue(grant);
      if (!issued.ok()) std::abort();
      const std::string changed = mutate(issued->token, data + 1, size - 1);
      auto seen = w.links->inspect(changed);
      if (changed != issued->token && seen.ok() && seen->subject != grant.subject) std::abort();
      auto on_the_way = w.links->inspect_for_redeem(changed);
      if (changed != issued->token && on_the_way.ok() && on_the_way->subject != grant.subject) {
        std::abort();
      }
      break;
    }
    case 2: {  // a session token from nowhere
      (void)w.sessions->verify(rest);
      break;
    }
    case 3: {  // a real session token, changed
      auto issued = w.sessions->issue({"user-1", "a@example.com", "", ""}).value();
      const std::string changed = mutate(issued.token, data + 1, size - 1);
      auto claims = w.sessions->verify(changed);
      if (claims.ok() && claims->sub != "user-1") std::abort();
      break;
    }
  }
  return 0;
}
