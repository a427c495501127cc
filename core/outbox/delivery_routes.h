#pragma once
// The `delivery:` list: which channel carries a message of each kind, in order.

#include <functional>
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
  int concurrency;  // sends in flight on this channel at most (`concurrency:` of the entry)
  /// Sends a batch shared with the call instead of copied for it, when the channel can (a
  /// guarded plugin's, wired by wiring/runtime); empty: `channel->send_batch`.
  std::function<std::vector<sdk::Result<void>>(std::shared_ptr<const std::vector<sdk::Message>>)>
      send_shared_batch = {};
};

using DeliveryRoutes = std::vector<DeliveryRoute>;

/// `outbox.workers: auto`: a worker per send the channels allow in flight together (at least 2),
/// so every channel can reach its `concurrency` at once.
int worker_threads_for(const DeliveryRoutes& routes);

/// The index of the first route at or after @p from that carries @p kind.
std::optional<int> route_for(const DeliveryRoutes& routes, sdk::AddressKind kind, int from = 0);

}  // namespace linkgate::outbox
