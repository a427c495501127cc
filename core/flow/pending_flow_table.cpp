#include "flow/pending_flow_table.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

#include "util/crypto.h"

namespace linkgate::flow {
namespace {

constexpr std::size_t kFirstCapacity = 1024;

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool leading_hex(std::string_view text, std::uint32_t& tag) {
  if (text.size() < 8) return false;
  tag = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    const int digit = hex_digit(text[i]);
    if (digit < 0) return false;
    tag = (tag << 4) | static_cast<std::uint32_t>(digit);
  }
  return true;
}

std::uint32_t seconds_of(std::int64_t at) {
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(at, 0, UINT32_MAX));
}

bool too_full(std::size_t entries, std::size_t slots) {
  return entries * 5 > slots * 4;
}

}  // namespace

template <class T>
T* PendingFlowTable::KernelPages<T>::allocate(std::size_t n) {
  void* pages =
      ::mmap(nullptr, n * sizeof(T), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (pages == MAP_FAILED) throw std::bad_alloc();
  return static_cast<T*>(pages);
}

template <class T>
void PendingFlowTable::KernelPages<T>::deallocate(T* p, std::size_t n) noexcept {
  ::munmap(p, n * sizeof(T));
}

template struct PendingFlowTable::KernelPages<PendingFlowTable::Slot>;

std::uint32_t PendingFlowTable::tag_of(std::string_view identifier_key) {
  std::uint32_t tag = 0;
  // A keyed hash is already uniform; anything else (a test's made-up key) is hashed first.
  if (!leading_hex(identifier_key, tag)) {
    const std::string digest = util::sha256(identifier_key);
    std::memcpy(&tag, digest.data(), sizeof tag);
  }
  return tag == 0 ? 1 : tag;  // 0 marks an empty slot
}

void PendingFlowTable::place(const Slot& slot) {
  std::size_t at = home(slot.tag);
  while (slots_[at].tag != 0) at = next(at);
  slots_[at] = slot;
  ++size_;
}

void PendingFlowTable::resize(std::size_t capacity) {
  auto old = std::exchange(slots_, std::vector<Slot, KernelPages<Slot>>(capacity));
  size_ = 0;
  for (const Slot& slot : old) {
    if (slot.tag != 0) place(slot);
  }
}

void PendingFlowTable::add(std::string_view identifier_key, std::int64_t rowid,
                           std::int64_t expires_at) {
  if (slots_.empty()) slots_.resize(kFirstCapacity);
  if (too_full(size_ + 1, slots_.size())) resize(slots_.size() * 2);
  place({tag_of(identifier_key), seconds_of(expires_at), rowid});
}

void PendingFlowTable::find(std::string_view identifier_key, std::int64_t now,
                            std::vector<std::int64_t>& out) const {
  if (size_ == 0) return;
  const std::uint32_t tag = tag_of(identifier_key);
  const std::uint32_t after = seconds_of(now);
  for (std::size_t at = home(tag); slots_[at].tag != 0; at = next(at)) {
    if (slots_[at].tag == tag && slots_[at].expires_at > after) out.push_back(slots_[at].rowid);
  }
}

// Backward-shift deletion: the entries after the hole that could live in it move back, so a
// run of occupied slots never has a gap that would end a later search early.
void PendingFlowTable::erase_at(std::size_t at) {
  std::size_t hole = at;
  for (std::size_t probe = next(hole); slots_[probe].tag != 0; probe = next(probe)) {
    const std::size_t wanted = home(slots_[probe].tag);
    // Left where it is when its home is in the cyclic range (hole, probe].
    const bool home_after_hole =
        hole <= probe ? (wanted > hole && wanted <= probe) : (wanted > hole || wanted <= probe);
    if (home_after_hole) continue;
    slots_[hole] = slots_[probe];
    hole = probe;
  }
  slots_[hole] = Slot{};
  --size_;
}

void PendingFlowTable::forget(std::string_view identifier_key,
                              const std::vector<std::int64_t>& rowids) {
  if (size_ == 0 || rowids.empty()) return;
  const std::uint32_t tag = tag_of(identifier_key);
  std::size_t at = home(tag);
  while (slots_[at].tag != 0) {
    const Slot& slot = slots_[at];
    if (slot.tag == tag && std::find(rowids.begin(), rowids.end(), slot.rowid) != rowids.end()) {
      erase_at(at);  // what moved into this slot is looked at next
    } else {
      at = next(at);
    }
  }
}

// In place, in the order of the runs: from an empty slot once round the table, each expired
// entry erased where it is found. An erase only moves entries of the run back into the hole,
// to a slot not yet passed, so every entry is looked at.
void PendingFlowTable::prune(std::int64_t now) {
  if (size_ == 0) return;
  const std::uint32_t after = seconds_of(now);
  std::size_t start = 0;
  while (slots_[start].tag != 0) start = next(start);  // at most 4/5 full: there is one
  std::size_t at = next(start);
  for (std::size_t passed = 1; passed < slots_.size();) {
    if (slots_[at].tag != 0 && slots_[at].expires_at <= after) {
      erase_at(at);  // what moved into this slot is looked at next
      continue;
    }
    at = next(at);
    ++passed;
  }
  std::size_t capacity = slots_.size();
  while (capacity > kFirstCapacity && size_ * 4 < capacity) capacity /= 2;
  if (capacity < slots_.size()) resize(capacity);  // at most half full then
}

void PendingFlowTable::clear() {
  std::vector<Slot, KernelPages<Slot>>().swap(slots_);
  size_ = 0;
}

}  // namespace linkgate::flow
