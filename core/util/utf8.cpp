#include "util/utf8.h"

#include <cstdint>
#include <cstring>

namespace linkgate::util {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// The length of the well-formed sequence at @p i, or 0 (RFC 3629, Table 3-7 of Unicode).
std::size_t sequence_length(std::string_view s, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;  // no surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;  // nothing past U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return n;
}

// Where the well-formed prefix of @p s starting at @p i ends. Messages are mostly ASCII, so
// eight bytes are checked at a time while none has its high bit set.
std::size_t well_formed_until(std::string_view s, std::size_t i) {
  while (i < s.size()) {
    std::uint64_t eight;
    if (s.size() - i >= sizeof eight) {
      std::memcpy(&eight, s.data() + i, sizeof eight);
      if ((eight & 0x8080808080808080ULL) == 0) {
        i += sizeof eight;
        continue;
      }
    }
    const std::size_t n = sequence_length(s, i);
    if (n == 0) return i;
    i += n;
  }
  return i;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
  return well_formed_until(text, 0) == text.size();
}

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t end = well_formed_until(text, i);
    out.append(text.substr(i, end - i));
    if (end == text.size()) break;
    out += kReplacement;
    i = end + 1;
  }
  return out;
}

}  // namespace linkgate::util
