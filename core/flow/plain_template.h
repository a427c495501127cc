#pragma once
// A message template that is only text and variables — as every shipped one is — rendered by
// joining its pieces, instead of through kainjow's renderer (a context stack, a line buffer and a
// copy of each value per tag: 11.9 % of a request thread's time in a sign-in start). Anything
// else (sections, partials, set delimiters, dotted names) is not compiled here and stays with
// kainjow; tests/core/flow/plain_template_test.cpp holds the two to the same output.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace linkgate::flow {

struct MessageValues;

class PlainTemplate {
 public:
  enum class Escape { none, html };

  /// The template @p source as text and variables, or nothing when it holds any other tag (or
  /// is not a template kainjow would accept). @p escape applies to `{{name}}`; `{{{name}}}` and
  /// `{{& name}}` are never escaped, as in mustache.
  static std::optional<PlainTemplate> compile(std::string_view source, Escape escape);

  /// The text with each variable's value in place; a name that is not one of MessageValues'
  /// renders as nothing, as in mustache. Thread-safe (the template does not change).
  [[nodiscard]] std::string render(const MessageValues& values) const;

 private:
  enum class Value { none, link, code, minutes, app_name, title, domain };
  struct Piece {
    std::string text;  // before the value
    Value value = Value::none;
    bool escaped = false;
  };
  std::vector<Piece> pieces_;
};

}  // namespace linkgate::flow
