#include "flow/plain_template.h"

#include <kainjow/mustache.hpp>

#include <cctype>
#include <utility>

#include "flow/message_templates.h"

namespace linkgate::flow {
namespace {

// As kainjow's trim (std::isspace in the C locale).
std::string_view trimmed(std::string_view s) {
  auto space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

// The tag syntax as kainjow's parser reads it with the default delimiters: `{{{` opens a tag
// closed by `}}}`, the contents are trimmed, a leading `=` sets delimiters (even in `{{{`), and in
// `{{ }}` the first character says what the tag is.
std::optional<PlainTemplate> PlainTemplate::compile(std::string_view source, Escape escape) {
  PlainTemplate compiled;
  std::string text;
  std::size_t at = 0;
  while (at < source.size()) {
    const auto open = source.find("{{", at);
    if (open == std::string_view::npos) {
      text.append(source.substr(at));
      break;
    }
    text.append(source.substr(at, open - at));
    auto contents_at = open + 2;
    const bool triple = contents_at < source.size() && source[contents_at] == '{';
    if (triple) ++contents_at;
    const std::string_view close = triple ? "}}}" : "}}";
    const auto end = source.find(close, contents_at);
    if (end == std::string_view::npos) return std::nullopt;  // unclosed: not a template
    at = end + close.size();

    std::string_view name = trimmed(source.substr(contents_at, end - contents_at));
    bool escaped = !triple && escape == Escape::html;
    if (!name.empty() && name.front() == '=') return std::nullopt;
    if (!triple && !name.empty()) {
      switch (name.front()) {
        case '#':
        case '^':
        case '/':
        case '>':
          return std::nullopt;
        case '!':
          continue;  // a comment renders as nothing
        case '&':
          name = trimmed(name.substr(1));
          escaped = false;
          break;
        default:
          break;
      }
    }
    if (name.find('.') != std::string_view::npos) return std::nullopt;
    Value value = name == "link"       ? Value::link
                  : name == "code"     ? Value::code
                  : name == "minutes"  ? Value::minutes
                  : name == "app_name" ? Value::app_name
                  : name == "title"    ? Value::title
                  : name == "domain"   ? Value::domain
                                       : Value::none;
    compiled.pieces_.push_back({std::exchange(text, {}), value, escaped});
  }
  if (!text.empty()) compiled.pieces_.push_back({std::move(text), Value::none, false});
  return compiled;
}

std::string PlainTemplate::render(const MessageValues& values) const {
  const std::string minutes = std::to_string(values.minutes);
  auto value_of = [&](Value value) -> const std::string* {
    switch (value) {
      case Value::link:
        return &values.link;
      case Value::code:
        return &values.code;
      case Value::minutes:
        return &minutes;
      case Value::app_name:
        return &values.app_name;
      case Value::title:
        return &values.title;
      case Value::domain:
        return &values.domain;
      case Value::none:
        break;
    }
    return nullptr;
  };
  std::size_t size = 0;
  for (const auto& piece : pieces_) {
    size += piece.text.size();
    if (const auto* v = value_of(piece.value)) size += v->size();
  }
  std::string out;
  out.reserve(size + size / 8);
  for (const auto& piece : pieces_) {
    out.append(piece.text);
    const auto* v = value_of(piece.value);
    if (!v) continue;
    if (piece.escaped) {
      out.append(kainjow::mustache::html_escape(*v));
    } else {
      out.append(*v);
    }
  }
  return out;
}

}  // namespace linkgate::flow
