#include "outbox/delivery_routes.h"

#include <algorithm>

namespace linkgate::outbox {

std::optional<int> route_for(const DeliveryRoutes& routes, sdk::AddressKind kind, int from) {
  for (int i = std::max(from, 0); i < static_cast<int>(routes.size()); ++i) {
    if (routes[static_cast<std::size_t>(i)].kind == kind) return i;
  }
  return std::nullopt;
}

int worker_threads_for(const DeliveryRoutes& routes) {
  int sum = 0;
  for (const auto& route : routes) sum += std::max(1, route.concurrency);
  return std::clamp(sum, 2, 512);
}

}  // namespace linkgate::outbox
