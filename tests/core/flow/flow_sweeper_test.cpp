#include "flow/flow_sweeper.h"

#include <gtest/gtest.h>

#include <sstream>

#include "flow_fakes.h"

namespace linkgate::flow {
namespace {

Flow expired_flow(const std::string& id, std::int64_t expires_at) {
  Flow f;
  f.id = id;
  f.identifier_key = "k" + id;
  f.expires_at = expires_at;
  return f;
}

TEST(FlowSweeper, SweepsEveryExpiredFlowInBoundedStatementsAndCountsScannerViews) {
  fakes::MemoryFlows flows;
  for (int i = 0; i < 12'000; ++i) {
    ASSERT_TRUE(flows.create(expired_flow("old" + std::to_string(i), 100), false, {}).ok());
  }
  ASSERT_TRUE(flows.create(expired_flow("fresh", 100'000), false, {}).ok());
  ASSERT_TRUE(flows.note_view(flows.at("old1"), "microsoft_office").ok());
  ASSERT_TRUE(flows.note_view(flows.at("old2"), "microsoft_office").ok());
  ASSERT_TRUE(flows.note_view(flows.at("old2"), "chrome").ok());
  ASSERT_TRUE(flows.note_view(flows.at("old3"), "chrome").ok());
  ASSERT_TRUE(flows.complete("old3", 50).value()) << "redeemed: its view led somewhere";
  host::MetricsRegistry metrics;
  std::ostringstream text;
  host::Log log(sdk::LogLevel::debug, false, text);

  sweep_flows(flows, 100 + 86'400 + 1, 86'400, metrics, log);
  EXPECT_EQ(flows.size(), 1u) << "12,000 expired flows, 5,000 per statement: all gone";
  EXPECT_EQ(metrics.value("linkgate_flows_swept_total", {}), 12'000);
  EXPECT_EQ(
      metrics.value("linkgate_confirm_views_unredeemed_total", {{"ua_family", "microsoft_office"}}),
      2);
  EXPECT_EQ(metrics.value("linkgate_confirm_views_unredeemed_total", {{"ua_family", "chrome"}}), 1);

  flows.is_down = true;
  sweep_flows(flows, 1'000'000, 86'400, metrics, log);
  EXPECT_NE(text.str().find("sweeping expired flows"), std::string::npos) << text.str();
}

}  // namespace
}  // namespace linkgate::flow
