#include "util/json_escape.h"

#include <array>

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
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!needs_escape(c)) continue;
    out.append(text.substr(run, i - run));
    append_escaped(out, c);
    run = i + 1;
  }
  out.append(text.substr(run));
}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  append_json_escaped(out, text);
  return out;
}

}  // namespace linkgate::util
