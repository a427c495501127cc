#include "flow/redirect_policy.h"

#include <algorithm>
#include <cctype>

namespace linkgate::flow {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool bad_percent_escape(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || !std::isxdigit(static_cast<unsigned char>(s[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      return true;
    }
    int value = std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16);
    if (value < 0x20 || value == 0x7f || value == '\\') return true;  // encoded CR, LF, NUL, '\'
  }
  return false;
}

}  // namespace

std::optional<ParsedUrl> parse_redirect_url(std::string_view url) {
  if (url.empty() || url.size() > 2048) return std::nullopt;
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f || c == '\\') return std::nullopt;
  }
  if (bad_percent_escape(url)) return std::nullopt;
  auto colon = url.find("://");
  if (colon == std::string_view::npos) return std::nullopt;
  ParsedUrl out;
  out.scheme = lower(url.substr(0, colon));
  if (out.scheme != "http" && out.scheme != "https") return std::nullopt;
  std::string_view rest = url.substr(colon + 3);
  auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view host = authority;
  out.port = out.scheme == "https" ? 443 : 80;
  if (auto port_colon = authority.rfind(':');
      port_colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    host = authority.substr(0, port_colon);
    std::string_view port = authority.substr(port_colon + 1);
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c); })) {
      return std::nullopt;
    }
    out.port = std::stoi(std::string(port));
    if (out.port < 1 || out.port > 65535) return std::nullopt;
  }
  if (host.empty() || host.find('%') != std::string_view::npos) return std::nullopt;
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-') return std::nullopt;
  }
  out.host = lower(host);
  if (authority_end != std::string_view::npos) {
    std::string_view tail = rest.substr(authority_end);
    auto query = tail.find_first_of("?#");
    out.path = std::string(tail.substr(0, query));
    // An empty segment (`//`) turns a path into a host for some parsers.
    if (out.path.find("//") != std::string::npos) return std::nullopt;
    // Dot segments would let a browser (or a server behind the redirect) climb out of an allowed
    // path prefix — also written `..;` or `.;x`, which some servers read as `..` and `.`.
    std::string lowered = lower(out.path);
    if (lowered.find("%2e") != std::string::npos || lowered.find("%2f") != std::string::npos ||
        lowered.find("%5c") != std::string::npos || lowered.find("%3b") != std::string::npos) {
      return std::nullopt;
    }
    for (std::size_t at = 0; at < out.path.size();) {
      const auto next = out.path.find('/', at + 1);
      std::string segment =
          out.path.substr(at + 1, next == std::string::npos ? next : next - at - 1);
      segment = segment.substr(0, segment.find(';'));
      if (segment == "." || segment == "..") return std::nullopt;
      at = next == std::string::npos ? out.path.size() : next;
    }
  }
  return out;
}

namespace {

// `*` inside a pattern stands for characters within one path segment, never a '/'.
bool segment_glob(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos && text[mark] != '/') {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text) {
  if (pattern.empty() || pattern.back() != '*') return segment_glob(pattern, text);
  // A trailing `*` stands for whole segments below what comes before it: `/cb*` admits `/cb`
  // and `/cb/x`, never `/cbevil`; `/cb/*` admits everything under `/cb/`.
  const std::string_view prefix = pattern.substr(0, pattern.size() - 1);
  for (std::size_t cut = 0; cut <= text.size(); ++cut) {
    const std::string_view head = text.substr(0, cut);
    const std::string_view rest = text.substr(cut);
    const bool whole_segments =
        rest.empty() || rest.front() == '/' || (!prefix.empty() && prefix.back() == '/');
    if (whole_segments && segment_glob(prefix, head)) return true;
  }
  return false;
}

RedirectPolicy::RedirectPolicy(const std::vector<std::string>& patterns) {
  for (const auto& pattern : patterns) {
    // Parse with the path's '*' replaced, since '*' is not a URL character we accept.
    std::string probe = pattern;
    std::replace(probe.begin(), probe.end(), '*', 'x');
    auto parsed = parse_redirect_url(probe);
    if (!parsed) {
      invalid_.push_back(pattern);
      continue;
    }
    Pattern p;
    p.base = *parsed;
    auto scheme_end = pattern.find("://") + 3;
    auto path_start = pattern.find('/', scheme_end);
    p.path_glob = path_start == std::string::npos ? "/*" : pattern.substr(path_start);
    patterns_.push_back(std::move(p));
  }
}

bool RedirectPolicy::allows(std::string_view url) const {
  auto parsed = parse_redirect_url(url);
  if (!parsed) return false;
  std::string path = parsed->path.empty() ? "/" : parsed->path;
  for (const auto& p : patterns_) {
    if (p.base.scheme == parsed->scheme && p.base.host == parsed->host &&
        p.base.port == parsed->port && glob_match(p.path_glob, path)) {
      return true;
    }
  }
  return false;
}

}  // namespace linkgate::flow
