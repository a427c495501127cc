#pragma once
// The files `linkgate new-plugin --kind delivery` writes. @NAME@ is the plugin's name,
// @IDENT@ the same as a C++ identifier, @SDK@ the SDK's major.minor.

namespace linkgate::cli::scaffold {

inline constexpr const char* kDeliveryCMakeLists = R"(cmake_minimum_required(VERSION 3.20)
project(linkgate-delivery-@NAME@ LANGUAGES CXX)

# The plugin: everything it needs comes from the installed SDK.
find_package(linkgate-sdk @SDK@ CONFIG REQUIRED)
linkgate_add_plugin(delivery @NAME@ plugin.cpp @IDENT@_channel.cpp)

# Its tests: the SDK testkit's conformance suite for delivery channels (GoogleTest).
include(CTest)
if(BUILD_TESTING)
  find_package(GTest REQUIRED)
  include(GoogleTest)
  add_executable(@IDENT@_tests tests/conformance_test.cpp)
  target_link_libraries(@IDENT@_tests PRIVATE linkgate::testkit GTest::gtest_main)
  target_compile_definitions(@IDENT@_tests PRIVATE
    PLUGIN_FILE="$<TARGET_FILE:linkgate-delivery-@NAME@>")
  add_dependencies(@IDENT@_tests linkgate-delivery-@NAME@)
  gtest_discover_tests(@IDENT@_tests)
endif()
)";

inline constexpr const char* kDeliveryPlugin =
    R"(// The linkgate delivery plugin "@NAME@": its declared configuration keys and its factory.
// The channel itself is in @IDENT@_channel.cpp.

#include "@IDENT@_channel.h"

namespace {

using linkgate::sdk::ConfigKey;
using linkgate::sdk::ConfigType;

// Every key the plugin's `config:` block may hold. The server refuses any other key, checks
// each value's type, applies the defaults, and `linkgate plugins` prints this table.
constexpr ConfigKey kConfigKeys[] = {
    {"url", ConfigType::string, nullptr, true,
     "Where each message is POSTed as JSON (http:// or https://)."},
    {"headers", ConfigType::string_map, nullptr, false,
     "Extra request headers, e.g. Authorization."},
    {"timeout", ConfigType::duration, "10s", false, "Connect, send and receive timeout, each."},
};

linkgate::sdk::Result<linkgate::sdk::PluginInstance> create(
    const linkgate::sdk::PluginContext& context) {
  @IDENT@::Settings settings;
  settings.url = context.config.get_string("url").value_or("");
  if (settings.url.rfind("http://", 0) != 0 && settings.url.rfind("https://", 0) != 0) {
    return linkgate::sdk::fail(linkgate::sdk::ErrorCode::invalid,
                               "url: expected an http:// or https:// URL");
  }
  settings.headers = context.config.get_map("headers");
  settings.timeout = context.config.get_duration("timeout").value_or(settings.timeout);
  return linkgate::sdk::make_instance(
      std::make_unique<@IDENT@::Channel>(std::move(settings), context.host));
}

}  // namespace

LINKGATE_PLUGIN(delivery_channel, "@NAME@", "0.1.0", "Posts each sign-in message as JSON to a URL",
                kConfigKeys, create)
)";

inline constexpr const char* kDeliveryChannelHeader = R"(#pragma once
// The "@NAME@" delivery channel: POSTs each sign-in message as a JSON object to a URL, through
// the host's HTTP client (certificates checked against the system CAs).

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "linkgate/sdk/sdk.h"

namespace @IDENT@ {

struct Settings {
  std::string url;
  std::map<std::string, std::string> headers;
  std::chrono::milliseconds timeout{10'000};
};

class Channel final : public linkgate::sdk::DeliveryChannel {
 public:
  /// @p host outlives the channel (the server guarantees it).
  Channel(Settings settings, linkgate::sdk::HostServices& host);

  /// 2xx: delivered. 408, 429, 5xx or no answer: retryable. Other statuses: permanent.
  /// CR or LF in the address or subject: invalid, and nothing is sent.
  linkgate::sdk::Result<void> send(const linkgate::sdk::Message& message) override;
  linkgate::sdk::Result<void> ready() override;

 private:
  Settings settings_;
  linkgate::sdk::HostServices& host_;
};

/// The request body: {"id","to","kind","subject","text","html","link","code","locale"}.
std::string message_json(const linkgate::sdk::Message& message);

}  // namespace @IDENT@
)";

inline constexpr const char* kDeliveryChannel = R"(#include "@IDENT@_channel.h"

#include <cstdio>

namespace @IDENT@ {
namespace {

std::string json_string(std::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
          out += escaped;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

}  // namespace

std::string message_json(const linkgate::sdk::Message& m) {
  return "{\"id\":" + json_string(m.id) + ",\"to\":" + json_string(m.to) +
         ",\"kind\":" + json_string(linkgate::sdk::to_string(m.kind)) +
         ",\"subject\":" + json_string(m.subject) + ",\"text\":" + json_string(m.text) +
         ",\"html\":" + json_string(m.html) + ",\"link\":" + json_string(m.link) +
         ",\"code\":" + json_string(m.code) + ",\"locale\":" + json_string(m.locale) + "}";
}

Channel::Channel(Settings settings, linkgate::sdk::HostServices& host)
    : settings_(std::move(settings)), host_(host) {}

linkgate::sdk::Result<void> Channel::send(const linkgate::sdk::Message& message) {
  using linkgate::sdk::ErrorCode;
  if (message.to.find_first_of("\r\n") != std::string::npos ||
      message.subject.find_first_of("\r\n") != std::string::npos) {
    return linkgate::sdk::fail(ErrorCode::invalid, "CR or LF in the address or subject");
  }
  linkgate::sdk::HttpRequest request;
  request.method = "POST";
  request.url = settings_.url;
  request.headers.assign(settings_.headers.begin(), settings_.headers.end());
  request.headers.emplace_back("Content-Type", "application/json");
  request.body = message_json(message);
  request.timeout = settings_.timeout;
  auto response = host_.http().send(request);
  if (!response.ok()) return linkgate::sdk::fail(ErrorCode::retryable, response.error().message);
  const int status = response->status;
  if (status >= 200 && status < 300) return linkgate::sdk::success();
  const std::string why = "the webhook answered HTTP " + std::to_string(status);
  if (status == 408 || status == 429 || status >= 500) {
    return linkgate::sdk::fail(ErrorCode::retryable, why);
  }
  return linkgate::sdk::fail(ErrorCode::permanent, why);
}

linkgate::sdk::Result<void> Channel::ready() {
  return linkgate::sdk::success();
}

}  // namespace @IDENT@
)";

inline constexpr const char* kDeliveryTest =
    R"(// The SDK testkit's conformance suite, run against the built plugin library exactly as the
// server loads it. The webhook is the testkit's fake HTTP client: each test scripts its answers.

#include <gtest/gtest.h>

#include "linkgate/testkit/delivery_channel_conformance.h"
#include "linkgate/testkit/testkit.h"

namespace {

using namespace linkgate::testkit;

DeliveryChannelCase webhook_case() {
  DeliveryChannelCase c;
  c.name = "@IDENT@";
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
)";

inline constexpr const char* kDeliveryReadme = R"(# @NAME@ — a linkgate delivery plugin

Posts each sign-in message as a JSON object to a URL:
`{"id", "to", "kind", "subject", "text", "html", "link", "code", "locale"}`.
2xx means delivered; 408, 429, 5xx or no answer are retried by linkgate's outbox with backoff;
any other status is a permanent failure (the outbox tries the next channel, or gives up).

## Configuration

```yaml
delivery:
  - plugin: @NAME@
    for: email
    config: { url: "https://hooks.example.com/signin", headers: { Authorization: "Bearer ..." } }
```

| key | type | default | meaning |
|---|---|---|---|
| `url` | string | required | Where each message is POSTed (http:// or https://). |
| `headers` | map | none | Extra request headers, e.g. Authorization. |
| `timeout` | duration | `10s` | Connect, send and receive timeout, each. |

## Build, test, install

```sh
cmake -S . -B build -DCMAKE_PREFIX_PATH=/where/the/sdk/is   # find_package(linkgate-sdk)
cmake --build build
ctest --test-dir build                                     # the SDK testkit's conformance suite
cp build/plugins/linkgate-delivery-@NAME@.so /usr/lib/linkgate/plugins/
```

`linkgate plugins` then lists it with the keys above; `linkgate check-config` checks a
`config:` block against them.
)";

}  // namespace linkgate::cli::scaffold
