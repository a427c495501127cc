#include "flow/flow_sweeper.h"

namespace linkgate::flow {

void sweep_flows(FlowRepository& flows, std::int64_t now, std::int64_t grace_seconds,
                 host::MetricsRegistry& metrics, host::Log& log) {
  constexpr int kFlowsPerStatement = 5000;  // short transactions: starts go on meanwhile
  for (bool more = true; more;) {
    auto swept = flows.sweep(now, grace_seconds, kFlowsPerStatement);
    if (!swept.ok()) {
      log.write(sdk::LogLevel::warning, "flow", "sweeping expired flows: " + swept.error().message);
      return;
    }
    more = swept->flows == static_cast<std::size_t>(kFlowsPerStatement);
    if (swept->flows > 0) {
      metrics.add("linkgate_flows_swept_total", {}, static_cast<double>(swept->flows),
                  "Expired sign-in flows deleted from the flow store");
    }
    for (const auto& [family, count] : swept->unredeemed_views) {
      metrics.add("linkgate_confirm_views_unredeemed_total", {{"ua_family", family}},
                  static_cast<double>(count),
                  "Confirm pages opened for links never redeemed (link scanners, mostly), by "
                  "user-agent family, counted when the flow is swept");
    }
  }
}

}  // namespace linkgate::flow
