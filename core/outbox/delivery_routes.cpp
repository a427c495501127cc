#include "outbox/delivery_routes.h"

namespace linkgate::outbox {

std::optional<int> route_for(const DeliveryRoutes& routes, sdk::AddressKind kind, int from) {
  for (int i = std::max(from, 0); i < static_cast<int>(routes.size()); ++i) {
    if (routes[static_cast<std::size_t>(i)].kind == kind) return i;
  }
  return std::nullopt;
}

}  // namespace linkgate::outbox
