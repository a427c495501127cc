#include "outbox/retry_policy.h"

#include <algorithm>

namespace linkgate::outbox {

std::chrono::milliseconds backoff_delay(int attempt, std::chrono::milliseconds first,
                                        std::chrono::milliseconds max, double random_unit) {
  std::int64_t delay = first.count();
  for (int i = 1; i < attempt && delay < max.count(); ++i) delay *= 2;
  delay = std::min<std::int64_t>(delay, max.count());
  random_unit = std::clamp(random_unit, 0.0, 1.0);
  return std::chrono::milliseconds(delay / 2 +
                                   static_cast<std::int64_t>((delay - delay / 2) * random_unit));
}

}  // namespace linkgate::outbox
