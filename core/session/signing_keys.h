#pragma once
// ES256 keys that sign access tokens, kept as PEM files in session.signing_keys.dir.
// The newest key signs; older keys stay published in the JWKS until every token they signed
// has expired.

#include <Poco/Crypto/ECKey.h>
#include <optional>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "linkgate/sdk/host_services.h"
#include "util/es256.h"

namespace linkgate::session {

struct SigningKey {
  std::string kid;  // RFC 7638 JWK thumbprint
  std::string file;
  std::int64_t created_at = 0;
  std::string public_jwk;               // {"kty":"EC",...} as JSON
  std::optional<util::Es256Key> es256;  // signs and verifies (ES256 only), set up once
};

class SigningKeys {
 public:
  /// Loads every `session-*.pem` in @p dir, then maintain()s them: a key (mode 0600) is
  /// generated when there is none or the newest is older than @p rotate_every. Throws
  /// std::runtime_error naming the file on a key that cannot be read.
  SigningKeys(std::string dir, std::chrono::milliseconds rotate_every,
              std::chrono::milliseconds token_ttl, const sdk::Clock& clock);

  /// The key new tokens are signed with.
  [[nodiscard]] std::shared_ptr<const SigningKey> current();
  /// A published key by id, or nullptr. An unknown id looks at the folder again first, so a key
  /// another instance just made is found.
  [[nodiscard]] std::shared_ptr<const SigningKey> find(const std::string& kid);
  /// The JWK Set of every published key.
  [[nodiscard]] std::string jwks_json();
  /// Rotates if the current key is older than rotate_every; drops keys no token can need.
  void maintain();
  /// Makes a new key that signs from now on (`linkgate keys rotate`). Throws
  /// std::runtime_error when it cannot be written.
  std::shared_ptr<const SigningKey> rotate();

 private:
  /// Reloads the folder when it changed (checked at most once a second unless @p now), and
  /// maintains the keys once a minute, so a long-running server rotates on time and every
  /// instance sharing the folder follows a rotation made anywhere.
  void refresh_locked(bool now = false);
  void load_locked();
  void maintain_locked();
  void generate_locked(std::int64_t created_at);

  std::string dir_;
  std::chrono::milliseconds rotate_every_;
  std::chrono::milliseconds token_ttl_;
  const sdk::Clock& clock_;
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<const SigningKey>> keys_;  // oldest first
  std::chrono::steady_clock::time_point next_check_{};
  std::filesystem::file_time_type folder_changed_at_{};
  std::int64_t next_maintain_ = 0;
};

/// Reads a PEM private key and returns its public JWK (EC P-256) and RFC 7638 thumbprint.
struct PublicJwk {
  std::string json;
  std::string thumbprint;
};
PublicJwk public_jwk_from_pem(const std::string& pem);

}  // namespace linkgate::session
