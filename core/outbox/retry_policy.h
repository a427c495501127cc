#pragma once

#include <chrono>
#include <cstdint>

namespace linkgate::outbox {

/// Delay before retry number @p attempt (1 = after the first failure): `first * 2^(attempt-1)`,
/// capped at @p max, with "equal jitter" (half fixed, half random from @p random_unit in [0,1)),
/// so a recovering mail server is not hit by every queued message at the same instant.
std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds first,
                                        std::chrono::milliseconds max, double random_unit);

}  // namespace linkgate::outbox
