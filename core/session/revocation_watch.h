#pragma once
// A session check reads the revocation store so that a logout holds on every instance at once.
// On SQLite every instance runs on one host, so a counter in a small shared-memory file beside
// the database can say "no session was revoked since": each logout moves it after its commit
// and before its answer, and a session check that found a session not revoked remembers that
// answer for as long as the counter stays where it was when the check began. A session used for
// many requests then costs one revocation read, not one per request (docs/performance.md).
//
// Why it holds: a check reads the counter before the store. A logout that committed before
// that read is seen by it; one that commits after moves the counter after the check read it,
// so the remembered answer is not used again. A logout whose process died between its commit
// and the counter was never acknowledged to the client; the next logout anywhere, or the next
// start of any instance (which moves the counter), ends the remembered answers.

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>

namespace linkgate::session {

class RevocationWatch {
 public:
  /// Maps @p counter_file (created 0600 if missing). Throws std::runtime_error when it cannot
  /// be opened, sized or mapped. Moves the counter once, so answers remembered by instances
  /// before this one started are not used again.
  explicit RevocationWatch(const std::string& counter_file);
  ~RevocationWatch();
  RevocationWatch(const RevocationWatch&) = delete;
  RevocationWatch& operator=(const RevocationWatch&) = delete;

  /// The counter now; read before the revocation store is.
  [[nodiscard]] std::uint64_t counter() const noexcept;
  /// Moves the counter: call after a revocation is committed, before it is acknowledged.
  void revoked() noexcept;

  /// True when @p jti was found not revoked by a check that began at @p counter.
  [[nodiscard]] bool known_not_revoked(std::string_view jti, std::uint64_t counter);
  /// Remembers that a check begun at @p counter found @p jti not revoked.
  void remember_not_revoked(std::string_view jti, std::uint64_t counter);

 private:
  // Sharded so concurrent session checks do not queue on one lock; a shard forgets everything
  // when the counter moved or when it is full (the answers are cheap to read again).
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  struct Shard {
    std::mutex mutex;
    std::uint64_t counter = 0;
    std::unordered_set<std::string, Hash, std::equal_to<>> jtis;
  };
  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kMostPerShard = 4096;
  Shard& shard_for(std::string_view jti);

  int fd_ = -1;
  std::uint64_t* mapped_ = nullptr;
  Shard shards_[kShards];
};

/// The counter file for a revocation store in the SQLite database at @p database_file.
std::string revocation_counter_file(const std::string& database_file);

}  // namespace linkgate::session
