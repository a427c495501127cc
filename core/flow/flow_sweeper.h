#pragma once
// Takes long-expired flows out of the flow store, and counts what they tell on the way out.

#include <cstdint>

#include "flow/ports.h"
#include "host/log.h"
#include "host/metrics.h"

namespace linkgate::flow {

/// Deletes every flow that expired more than @p grace_seconds before @p now, a bounded number
/// per statement, counting them in linkgate_flows_swept_total and — for flows never redeemed
/// whose confirm page was opened — each user-agent family that opened it in
/// linkgate_confirm_views_unredeemed_total{ua_family} (pre-fetching scanners show up there).
/// A store failure is logged and the rest left for the next sweep.
void sweep_flows(FlowRepository& flows, std::int64_t now, std::int64_t grace_seconds,
                 host::MetricsRegistry& metrics, host::Log& log);

}  // namespace linkgate::flow
