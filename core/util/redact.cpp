#include "util/redact.h"

namespace linkgate::util {
namespace {

bool local_part_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+/=?^_`{|}~.-").find(c) != std::string_view::npos;
}

bool domain_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-';
}

bool digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::string redact_addresses(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '@') {
      // Take back the local part already copied, then skip the domain.
      std::size_t start = out.size();
      while (start > 0 && local_part_char(out[start - 1])) --start;
      std::size_t end = i + 1;
      while (end < text.size() && domain_char(text[end])) ++end;
      const std::string_view domain = text.substr(i + 1, end - i - 1);
      if (start < out.size() && domain.find('.') != std::string_view::npos) {
        out.resize(start);
        out += "[address]";
        i = end;
        continue;
      }
    }
    if (digit(text[i]) || (text[i] == '+' && i + 1 < text.size() && digit(text[i + 1]))) {
      std::size_t end = text[i] == '+' ? i + 1 : i;
      while (end < text.size() && digit(text[end])) ++end;
      // Digits inside a word (an id like `msg_20261130ab`) are not a number anyone dials.
      const char before = i > 0 ? text[i - 1] : ' ';
      const bool in_word = (before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') ||
                           before == '_' || before == '-';
      if (end - i - (text[i] == '+' ? 1 : 0) >= 7 && !in_word) {
        out += "[number]";
        i = end;
        continue;
      }
      out.append(text.substr(i, end - i));
      i = end;
      continue;
    }
    // Up to the next character that can begin an address's domain or a number, in one piece.
    std::size_t next = i + 1;
    while (next < text.size() && text[next] != '@' && text[next] != '+' && !digit(text[next])) {
      ++next;
    }
    out.append(text.substr(i, next - i));
    i = next;
  }
  return out;
}

}  // namespace linkgate::util
