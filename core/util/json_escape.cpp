#include "util/json_escape.h"

#include "util/utf8.h"

#include <array>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace linkgate::util {
namespace {

// One load per byte instead of four comparisons: a message file's text and HTML are escaped a
// byte at a time, and most bytes need nothing.
constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = table['\\'] = table[0x7f] = true;
  return table;
}();

bool needs_escape(unsigned char c) {
  return kNeedsEscape[c];
}

// The place of the first byte at or after @p from that needs escaping, or the text's size. Sixteen
// bytes at a time where SSE2 is there (every x86-64): a message's HTML is kilobytes with a few
// quotes, and a byte at a time was most of the cost of writing its file.
std::size_t next_to_escape(std::string_view text, std::size_t from) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'),
                del = _mm_set1_epi8(0x7f), last_control = _mm_set1_epi8(0x1f);
  for (; from + 16 <= text.size(); from += 16) {
    const __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(bytes + from));
    // max(b, 0x1f) == 0x1f exactly when b <= 0x1f, compared without sign.
    const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(block, last_control), last_control);
    const __m128i hits =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(block, quote), _mm_cmpeq_epi8(block, backslash)),
                     _mm_or_si128(_mm_cmpeq_epi8(block, del), control));
    const int mask = _mm_movemask_epi8(hits);
    if (mask != 0) return from + static_cast<std::size_t>(__builtin_ctz(mask));
  }
#endif
  while (from < text.size() && !needs_escape(bytes[from])) ++from;
  return from;
}

void append_escaped(std::string& out, unsigned char c) {
  switch (c) {
    case '"':
      out += "\\\"";
      return;
    case '\\':
      out += "\\\\";
      return;
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default: {
      constexpr char kHex[] = "0123456789abcdef";
      const char code[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xf]};
      out.append(code, sizeof code);
    }
  }
}

}  // namespace

void append_json_escaped(std::string& out, std::string_view text) {
  // Runs that need no escaping are appended whole: most of a message is such a run.
  std::size_t run = 0;
  for (std::size_t i = next_to_escape(text, 0); i < text.size(); i = next_to_escape(text, run)) {
    out.append(text.substr(run, i - run));
    append_escaped(out, static_cast<unsigned char>(text[i]));
    run = i + 1;
  }
  out.append(text.substr(run));
}

void append_json_text(std::string& out, std::string_view text) {
  if (is_valid_utf8(text)) return append_json_escaped(out, text);
  append_json_escaped(out, valid_utf8(text));
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  append_json_escaped(out, text);
  return out;
}

}  // namespace linkgate::util
