#pragma once
// Which redirect_uri values a sign-in may send the browser on to.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace linkgate::flow {

/// A strictly parsed absolute http(s) URL.
struct ParsedUrl {
  std::string scheme;  // lower-case
  std::string host;    // lower-case
  int port = 0;        // explicit or the scheme's default
  std::string path;    // starts with '/', "" when absent
};

/// Parses @p url, refusing anything a browser could read differently from us: userinfo (`@`),
/// backslashes, whitespace or control characters (also percent-encoded CR/LF/NUL), non-ASCII
/// characters, schemes other than http/https, scheme-relative `//host`, and bad ports.
std::optional<ParsedUrl> parse_redirect_url(std::string_view url);

class RedirectPolicy {
 public:
  /// Each pattern is an absolute URL whose path may contain `*` (any characters); scheme, host
  /// and port must match exactly. A pattern that does not parse is ignored and listed by
  /// invalid_patterns().
  explicit RedirectPolicy(const std::vector<std::string>& patterns);

  /// True when @p url parses and matches a pattern.
  [[nodiscard]] bool allows(std::string_view url) const;
  [[nodiscard]] const std::vector<std::string>& invalid_patterns() const { return invalid_; }

 private:
  struct Pattern {
    ParsedUrl base;
    std::string path_glob;
  };
  std::vector<Pattern> patterns_;
  std::vector<std::string> invalid_;
};

/// Path pattern match: a `*` inside the pattern matches characters within one segment (never a
/// '/'); a trailing `*` matches whole segments below the prefix before it (`/cb*`: `/cb`,
/// `/cb/x`, not `/cbevil`; `/cb/*`: anything under `/cb/`).
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace linkgate::flow
