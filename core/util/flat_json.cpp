#include "util/flat_json.h"

#include <charconv>

namespace linkgate::util {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  void skip_space() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }
  bool take(char c) {
    if (at_ < text_.size() && text_[at_] == c) {
      ++at_;
      return true;
    }
    return false;
  }
  bool take(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }
  [[nodiscard]] bool done() const { return at_ == text_.size(); }
  [[nodiscard]] char peek() const { return at_ < text_.size() ? text_[at_] : '\0'; }

  // After the opening quote; up to and including the closing one.
  bool string(std::string& out) {
    out.clear();
    while (at_ < text_.size()) {
      const char c = text_[at_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return false;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (at_ >= text_.size()) return false;
      switch (text_[at_++]) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u':
          if (!code_point(out)) return false;
          break;
        default:
          return false;
      }
    }
    return false;
  }

  // -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, as written.
  bool number(std::string& out) {
    const std::size_t start = at_;
    take('-');
    if (take('0')) {
    } else if (!digits()) {
      return false;
    }
    if (take('.') && !digits()) return false;
    if (take('e') || take('E')) {
      if (!take('+')) take('-');
      if (!digits()) return false;
    }
    out.assign(text_.substr(start, at_ - start));
    return true;
  }

 private:
  bool digits() {
    const std::size_t start = at_;
    while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') ++at_;
    return at_ > start;
  }

  bool hex4(unsigned& value) {
    if (text_.size() - at_ < 4) return false;
    value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[at_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        return false;
      }
    }
    return true;
  }

  // After "\u": one code point, a surrogate pair whole, written as UTF-8.
  bool code_point(std::string& out) {
    unsigned cp = 0;
    if (!hex4(cp)) return false;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      unsigned low = 0;
      if (!take("\\u") || !hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
    return true;
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

}  // namespace

std::optional<FlatJsonObject> FlatJsonObject::parse(std::string_view text) {
  Reader in(text);
  FlatJsonObject object;
  in.skip_space();
  if (!in.take('{')) return std::nullopt;
  in.skip_space();
  if (!in.take('}')) {
    do {
      in.skip_space();
      JsonMember member;
      if (!in.take('"') || !in.string(member.name)) return std::nullopt;
      if (object.find(member.name) != nullptr) return std::nullopt;
      in.skip_space();
      if (!in.take(':')) return std::nullopt;
      in.skip_space();
      const char first = in.peek();
      if (in.take('"')) {
        member.kind = JsonMember::Kind::string;
        if (!in.string(member.value)) return std::nullopt;
      } else if (first == '-' || (first >= '0' && first <= '9')) {
        member.kind = JsonMember::Kind::number;
        if (!in.number(member.value)) return std::nullopt;
      } else if (in.take("true")) {
        member.kind = JsonMember::Kind::boolean;
        member.value = "true";
      } else if (in.take("false")) {
        member.kind = JsonMember::Kind::boolean;
        member.value = "false";
      } else if (in.take("null")) {
        member.kind = JsonMember::Kind::null;
      } else {
        return std::nullopt;  // an object, an array, or no value at all
      }
      object.members_.push_back(std::move(member));
      in.skip_space();
    } while (in.take(','));
    if (!in.take('}')) return std::nullopt;
  }
  in.skip_space();
  if (!in.done()) return std::nullopt;
  return object;
}

const JsonMember* FlatJsonObject::find(std::string_view name) const noexcept {
  for (const auto& m : members_) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

bool FlatJsonObject::has(std::string_view name) const noexcept {
  return find(name) != nullptr;
}

const std::string* FlatJsonObject::string(std::string_view name) const noexcept {
  const JsonMember* m = find(name);
  return m != nullptr && m->kind == JsonMember::Kind::string ? &m->value : nullptr;
}

std::optional<std::int64_t> FlatJsonObject::integer(std::string_view name) const noexcept {
  const JsonMember* m = find(name);
  if (m == nullptr || m->kind != JsonMember::Kind::number) return std::nullopt;
  std::int64_t value = 0;
  const char* end = m->value.data() + m->value.size();
  auto [stop, error] = std::from_chars(m->value.data(), end, value);
  if (error != std::errc() || stop != end) return std::nullopt;  // a fraction, exponent, or huge
  return value;
}

}  // namespace linkgate::util
