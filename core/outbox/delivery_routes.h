#pragma once
// The `delivery:` list: which channel carries a message of each kind, in order.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "linkgate/sdk/delivery_channel.h"

namespace linkgate::outbox {

struct DeliveryRoute {
  sdk::AddressKind kind;
  std::string plugin;  // for logs and metrics
  std::shared_ptr<sdk::DeliveryChannel> channel;
};

using DeliveryRoutes = std::vector<DeliveryRoute>;

/// The index of the first route at or after @p from that carries @p kind.
std::optional<int> route_for(const DeliveryRoutes& routes, sdk::AddressKind kind, int from = 0);

}  // namespace linkgate::outbox
