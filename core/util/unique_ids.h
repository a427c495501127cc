#pragma once
// Ids that must never repeat but need not be secret (a token's jti: the token is signed, so
// knowing a future jti gives nothing): a random prefix per generator and a counter, without a
// trip to the CSPRNG — whose fork check is a getpid() system call — per id.

#include <atomic>
#include <cstdint>
#include <string>

namespace linkgate::util {

class UniqueIds {
 public:
  /// Draws the 9-byte random prefix: two generators (two processes, two instances) share one
  /// with probability 2^-72.
  UniqueIds();
  /// The next id: 23 base64url characters. Thread-safe.
  std::string next();

 private:
  std::string prefix_;
  std::atomic<std::uint64_t> counter_{0};
};

}  // namespace linkgate::util
