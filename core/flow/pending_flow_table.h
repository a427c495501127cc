#pragma once
// The flows a start may supersede, by identifier, kept in memory: what a B-tree index on the
// identifier's keyed hash gave, without its cost — every start wrote its entry into a random
// leaf of that index, a page to read, log and checkpoint per start once the index outgrew the
// page cache (docs/performance.md, "Supersede without an index").

#include <cstdint>
#include <string_view>
#include <vector>

namespace linkgate::flow {

/// An open-addressing table of (identifier, flow) entries: the identifier as the first 96 bits
/// of its keyed hash (flow/keyed_hashes.h; two identifiers agree there with probability 2^-96,
/// and then one's supersede also looks at the other's flow, which the store's statement
/// refuses by the whole hash), the flow as its row id and expiry (seconds, up to 2106). An
/// identifier may have several entries (starts without supersede, or not yet forgotten).
/// 24 bytes a slot, at most 3/4 of them used. Not thread-safe: one thread (the database's
/// writer) uses it.
class PendingFlowTable {
 public:
  /// Notes that the flow with row id @p rowid, expiring at @p expires_at, belongs to the
  /// identifier whose keyed hash (hex, at least 32 digits) is @p identifier_key.
  void add(std::string_view identifier_key, std::int64_t rowid, std::int64_t expires_at);
  /// Appends to @p out the row ids of the entries of @p identifier_key not expired at @p now.
  void find(std::string_view identifier_key, std::int64_t now,
            std::vector<std::int64_t>& out) const;
  /// Removes the entries of @p identifier_key with these row ids (those no longer pending).
  void forget(std::string_view identifier_key, const std::vector<std::int64_t>& rowids);
  /// Removes every entry expired at @p now; the table shrinks when most of it went.
  void prune(std::int64_t now);
  void clear();
  [[nodiscard]] std::size_t size() const { return size_; }
  /// The memory its slots take.
  [[nodiscard]] std::size_t bytes() const { return slots_.size() * sizeof(Slot); }

 private:
  struct Key {
    std::uint64_t high = 0;  // 0 and 0: an empty slot
    std::uint32_t low = 0;
    bool operator==(const Key&) const = default;
  };
  struct Slot {
    std::uint64_t key_high = 0;
    std::uint32_t key_low = 0;
    std::uint32_t expires_at = 0;
    std::int64_t rowid = 0;
    [[nodiscard]] Key key() const { return {key_high, key_low}; }
    [[nodiscard]] bool empty() const { return key_high == 0 && key_low == 0; }
  };
  static_assert(sizeof(Slot) == 24);
  static Key key_of(std::string_view identifier_key);
  [[nodiscard]] std::size_t home(const Key& key) const;
  [[nodiscard]] std::size_t next(std::size_t at) const { return (at + 1) & (slots_.size() - 1); }
  void place(const Slot& slot);
  void erase_at(std::size_t at);
  void resize(std::size_t capacity);

  std::vector<Slot> slots_;  // a power of two long, at most 3/4 full
  std::size_t size_ = 0;
};

}  // namespace linkgate::flow
