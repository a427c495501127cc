// The SDK testkit's conformance suite, run against the built plugin library exactly as the
// server loads it. The endpoint is the testkit's fake HTTP client: each test scripts its answers.

#include <gtest/gtest.h>

#include "linkgate/testkit/delivery_channel_conformance.h"
#include "linkgate/testkit/testkit.h"

namespace {

using namespace linkgate::testkit;

DeliveryChannelCase webhook_case() {
  DeliveryChannelCase c;
  c.name = "webhook";
  c.recipient = "someone@example.com";
  c.make = [](TestHost& host, SinkState state) {
    host.fake_http().respond = [state](const linkgate::sdk::HttpRequest&) {
      const int status = state == SinkState::working               ? 200
                         : state == SinkState::failing_transiently ? 503
                                                                   : 404;
      return linkgate::sdk::HttpResponse{status, {}, ""};
    };
    return LoadedPlugin::load(PLUGIN_FILE)
        .create<linkgate::sdk::DeliveryChannel>({{"url", "https://hooks.example.com/signin"}},
                                                host);
  };
  c.received = [](TestHost& host) {
    std::vector<std::string> bodies;
    for (const auto& request : host.fake_http().requests()) bodies.push_back(request.body);
    return bodies;
  };
  return c;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Plugin, DeliveryChannelConformance, ::testing::Values(webhook_case()),
                         case_name<DeliveryChannelCase>);

TEST(Config, AUrlThatIsNotHttpIsRefused) {
  TestHost host;
  EXPECT_THROW(LoadedPlugin::load(PLUGIN_FILE)
                   .create<linkgate::sdk::DeliveryChannel>({{"url", "ftp://x"}}, host),
               std::runtime_error);
}
