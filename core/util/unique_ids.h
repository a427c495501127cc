#pragma once
// Ids that must never repeat. UniqueIds: ids that need not be secret either (a token's jti: the
// token is signed, so knowing a future jti gives nothing) — a random prefix per generator and a
// counter, without a trip to the CSPRNG, whose fork check is a getpid() system call, per id.
// time_ordered_id: row keys that sort by when they were made, as hard to guess as their random
// part.

#include <atomic>
#include <cstdint>
#include <string>

namespace linkgate::util {

/// An id whose start is the wall clock's milliseconds (12 hex digits), then @p random_bytes in
/// base64url: one made in a later millisecond sorts after it, byte by byte. Rows keyed by such
/// ids go onto the end of their index instead of a random page of it — one page written per
/// commit for many rows, and the pages a lookup of a recent row needs stay in the cache. As
/// hard to guess as @p random_bytes alone; says when it was made, to the millisecond. The clock
/// going back costs order, never uniqueness (that is the random part's).
std::string time_ordered_id(const std::string& random_bytes);

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
