// The SDK testkit's delivery channel suite against the built plugin; the API is the testkit's
// fake HTTP client, answering as the real API does.
#include <gtest/gtest.h>

#include "linkgate/testkit/delivery_channel_conformance.h"
#include "linkgate/testkit/testkit.h"

namespace {

using namespace linkgate::testkit;

DeliveryChannelCase postmark_case() {
  DeliveryChannelCase c;
  c.name = "postmark";
  c.recipient = "someone@example.com";
  c.make = [](TestHost& host, SinkState state) {
    host.fake_http().respond = [state](const linkgate::sdk::HttpRequest& r) {
      bool authorised = false;
      for (const auto& [name, value] : r.headers)
        authorised |= name == "X-Postmark-Server-Token" && value == "server-t0ken";
      if (!authorised) return linkgate::sdk::HttpResponse{401, {}, "{\"ErrorCode\":10}"};
      const int status = state == SinkState::working               ? 200
                         : state == SinkState::failing_transiently ? 503
                                                                   : 422;
      return linkgate::sdk::HttpResponse{status, {}, "{}"};
    };
    return LoadedPlugin::load(PLUGIN_FILE)
        .create<linkgate::sdk::DeliveryChannel>(
            {{"server_token", "server-t0ken"}, {"from", "Example <no-reply@example.com>"}}, host);
  };
  c.received = [](TestHost& host) {
    std::vector<std::string> bodies;
    for (const auto& r : host.fake_http().requests())
      if (r.url == "https://api.postmarkapp.com/email") bodies.push_back(r.body);
    return bodies;
  };
  return c;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Example, DeliveryChannelConformance, ::testing::Values(postmark_case()),
                         case_name<DeliveryChannelCase>);
