#pragma once
// The value syntaxes of the config file: durations, rates and backoff ranges.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace linkgate::config {

using Duration = std::chrono::milliseconds;

/// `250ms`, `90s`, `15m`, `1h`, `7d`, or a sum such as `1h30m`. nullopt if malformed.
std::optional<Duration> parse_duration(std::string_view text);

/// `5/15m`: at most `count` events per `window`.
struct Rate {
  std::int64_t count = 0;
  Duration window{0};
  friend bool operator==(const Rate&, const Rate&) = default;
};
std::optional<Rate> parse_rate(std::string_view text);

/// `2s..10m`: exponential backoff from `first` up to `max`.
struct BackoffRange {
  Duration first{0};
  Duration max{0};
  friend bool operator==(const BackoffRange&, const BackoffRange&) = default;
};
std::optional<BackoffRange> parse_backoff(std::string_view text);

}  // namespace linkgate::config
