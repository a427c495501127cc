#include "config/duration.h"

#include <charconv>
#include <limits>

namespace linkgate::config {

std::optional<Duration> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), n);
    if (ec != std::errc() || n < 0) return std::nullopt;
    i = static_cast<std::size_t>(end - text.data());
    std::int64_t unit_ms = 0;
    if (text.substr(i, 2) == "ms") {
      unit_ms = 1;
      i += 2;
    } else if (i < text.size()) {
      switch (text[i]) {
        case 's':
          unit_ms = 1000;
          break;
        case 'm':
          unit_ms = 60'000;
          break;
        case 'h':
          unit_ms = 3'600'000;
          break;
        case 'd':
          unit_ms = 86'400'000;
          break;
        default:
          return std::nullopt;
      }
      ++i;
    } else {
      return std::nullopt;  // a number without a unit is ambiguous
    }
    if (n > (std::numeric_limits<std::int64_t>::max() - total) / unit_ms) return std::nullopt;
    total += n * unit_ms;
  }
  return Duration(total);
}

std::optional<Rate> parse_rate(std::string_view text) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  Rate rate;
  auto count = text.substr(0, slash);
  auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), rate.count);
  if (ec != std::errc() || end != count.data() + count.size() || rate.count < 0)
    return std::nullopt;
  auto window = parse_duration(text.substr(slash + 1));
  if (!window || window->count() <= 0) return std::nullopt;
  rate.window = *window;
  return rate;
}

std::optional<BackoffRange> parse_backoff(std::string_view text) {
  auto dots = text.find("..");
  if (dots == std::string_view::npos) return std::nullopt;
  auto first = parse_duration(text.substr(0, dots));
  auto max = parse_duration(text.substr(dots + 2));
  if (!first || !max || *first > *max || first->count() <= 0) return std::nullopt;
  return BackoffRange{*first, *max};
}

}  // namespace linkgate::config
