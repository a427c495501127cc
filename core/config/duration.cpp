#include "config/duration.h"

#include "linkgate/config/plugin_block.h"

#include <charconv>
#include <limits>

namespace linkgate::config {

std::optional<Duration> parse_duration(std::string_view text) {
  return plugin_block::parse_duration(text);  // one syntax for core keys and plugin keys
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
