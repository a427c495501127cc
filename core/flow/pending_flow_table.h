#pragma once
// The flows a start may supersede, by identifier, kept in memory: what a B-tree index on the
// identifier's keyed hash gave, without its cost — every start wrote its entry into a random
// leaf of that index, a page to read, log and checkpoint per start once the index outgrew the
// page cache (docs/performance.md, "Supersede without an index").

#include <cstdint>
#include <string_view>
#include <vector>

namespace linkgate::flow {

/// An open-addressing table of (identifier, flow) entries: the identifier as a 32-bit tag taken
/// from its keyed hash (flow/keyed_hashes.h), the flow as its row id and expiry (seconds, up to
/// 2106). A tag narrows the search and nothing more: identifiers that share one find each
/// other's flows too (about once in 40,000 look-ups with 100,000 entries), which the store's
/// statement then refuses by the whole hash — so only flows a statement did end may be
/// forgotten. An identifier may have several entries. 16 bytes a slot, at most 4/5 of them
/// used. Not thread-safe: one thread (the database's writer) uses it.
class PendingFlowTable {
 public:
  /// Notes that the flow with row id @p rowid, expiring at @p expires_at, belongs to the
  /// identifier whose keyed hash (hex) is @p identifier_key.
  void add(std::string_view identifier_key, std::int64_t rowid, std::int64_t expires_at);
  /// Appends to @p out the row ids of the entries with @p identifier_key's tag that have not
  /// expired at @p now: its flows, and rarely another identifier's.
  void find(std::string_view identifier_key, std::int64_t now,
            std::vector<std::int64_t>& out) const;
  /// Removes the entries with @p identifier_key's tag and these row ids (flows that ended).
  void forget(std::string_view identifier_key, const std::vector<std::int64_t>& rowids);
  /// Removes every entry expired at @p now; the table shrinks when most of it went.
  void prune(std::int64_t now);
  void clear();
  [[nodiscard]] std::size_t size() const { return size_; }
  /// The memory its slots take.
  [[nodiscard]] std::size_t bytes() const { return slots_.size() * sizeof(Slot); }

 private:
  struct Slot {
    std::uint32_t tag = 0;  // 0: an empty slot
    std::uint32_t expires_at = 0;
    std::int64_t rowid = 0;
  };
  static_assert(sizeof(Slot) == 16);
  /// Slots straight from the kernel (mmap) and back to it when freed: the arrays a table
  /// outgrew would otherwise stay in the allocator's free lists, resident (docs/performance.md,
  /// "Supersede without an index": +9 MiB peak RSS in the table's runs).
  template <class T>
  struct KernelPages {
    using value_type = T;
    KernelPages() = default;
    template <class U>
    explicit KernelPages(const KernelPages<U>&) noexcept {}
    T* allocate(std::size_t n);
    void deallocate(T* p, std::size_t n) noexcept;
    bool operator==(const KernelPages&) const = default;
  };
  static std::uint32_t tag_of(std::string_view identifier_key);
  [[nodiscard]] std::size_t home(std::uint32_t tag) const { return tag & (slots_.size() - 1); }
  [[nodiscard]] std::size_t next(std::size_t at) const { return (at + 1) & (slots_.size() - 1); }
  void place(const Slot& slot);
  void erase_at(std::size_t at);
  void resize(std::size_t capacity);

  std::vector<Slot, KernelPages<Slot>> slots_;  // a power of two long, at most 4/5 full
  std::size_t size_ = 0;
};

}  // namespace linkgate::flow
