// Every first-party plugin, loaded from its built library the way the server loads it, through
// the testkit's conformance suites — the same suites a third-party author instantiates.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "linkgate/testkit/delivery_channel_conformance.h"
#include "linkgate/testkit/testkit.h"
#include "linkgate/testkit/token_strategy_conformance.h"
#include "linkgate/testkit/user_store_conformance.h"
#include "support/redis_server.h"
#include "support/smtp_server.h"
#include "support/temp_dir.h"
#include "support/test_config.h"

namespace linkgate::testkit {
namespace {

using linkgate::testing::TempDir;

LoadedPlugin plugin(const std::string& kind, const std::string& name) {
  return LoadedPlugin::load(std::string(linkgate::testing::plugin_dir()) + "/linkgate-" + kind +
                            "-" + name + ".so");
}

// Each case's folder lives as long as the test binary: cases are values copied by GoogleTest.
std::string fresh_dir() {
  static std::vector<std::unique_ptr<TempDir>> dirs;
  dirs.push_back(std::make_unique<TempDir>());
  return dirs.back()->path().string();
}

// ---- token strategies ----

TokenStrategyCase jwt_case() {
  return {"jwt", [](TestHost& host) {
            return plugin("token", "jwt")
                .create<sdk::TokenStrategy>({{"key_file", fresh_dir() + "/link.pem"}}, host);
          }};
}

TokenStrategyCase stateful_case(const std::string& name, std::function<std::string()> store) {
  return {
      name,
      [store](TestHost& host) {
        return plugin("token", "stateful").create<sdk::TokenStrategy>({{"store", store()}}, host);
      },
      true};
}

INSTANTIATE_TEST_SUITE_P(
    FirstParty, TokenStrategyConformance,
    ::testing::Values(jwt_case(),
                      stateful_case("stateful_sqlite",
                                    [] { return "sqlite:" + fresh_dir() + "/tokens.db"; }),
                      stateful_case("stateful_redis",
                                    [] { return linkgate::testing::RedisServer::shared().url(); })),
    case_name<TokenStrategyCase>);

// ---- delivery channels ----

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() != ".json") continue;
    std::ifstream in(it->path());
    std::stringstream text;
    text << in.rdbuf();
    out.push_back(text.str());
  }
  return out;
}

DeliveryChannelCase outbox_case() {
  auto dir = std::make_shared<std::string>();
  DeliveryChannelCase c;
  c.name = "outbox";
  c.recipient = "someone@example.com";
  c.make = [dir](TestHost& host, SinkState state) {
    *dir = fresh_dir() + "/outbox";
    auto channel = plugin("delivery", "outbox")
                       .create<sdk::DeliveryChannel>({{"dir", *dir}, {"log_link", "false"}}, host);
    if (state == SinkState::failing_transiently) {  // its folder replaced by a file
      std::filesystem::remove_all(*dir);
      std::ofstream(*dir) << "not a folder";
    }
    return channel;
  };
  c.received = [dir](TestHost&) { return files_in(*dir); };
  c.failures = {SinkState::failing_transiently};  // a file cannot fail for good
  return c;
}

DeliveryChannelCase sms_http_case() {
  DeliveryChannelCase c;
  c.name = "sms_http";
  c.kind = sdk::AddressKind::phone;
  c.recipient = "+14155550100";
  c.make = [](TestHost& host, SinkState state) {
    host.fake_http().respond = [state](const sdk::HttpRequest&) {
      const int status = state == SinkState::working               ? 201
                         : state == SinkState::failing_transiently ? 503
                                                                   : 400;
      return sdk::HttpResponse{status, {}, "{}"};
    };
    return plugin("delivery", "sms-http")
        .create<sdk::DeliveryChannel>({{"url", "https://gateway.example/send"}}, host);
  };
  c.received = [](TestHost& host) {
    std::vector<std::string> out;
    for (const auto& r : host.fake_http().requests()) out.push_back(r.body);
    return out;
  };
  return c;
}

DeliveryChannelCase smtp_case() {
  auto server = std::make_shared<std::unique_ptr<linkgate::testing::SmtpServer>>();
  auto dir = std::make_shared<std::unique_ptr<TempDir>>();
  DeliveryChannelCase c;
  c.name = "smtp";
  c.recipient = "someone@example.com";
  c.make = [server, dir](TestHost& host, SinkState state) {
    server->reset();
    *dir = std::make_unique<TempDir>();
    std::vector<std::string> args;
    if (state != SinkState::working) {
      args = {"--reject-first", "1000", "--reject-code",
              state == SinkState::failing_transiently ? "451" : "550"};
    }
    *server = std::make_unique<linkgate::testing::SmtpServer>(**dir, args);
    return plugin("delivery", "smtp")
        .create<sdk::DeliveryChannel>({{"host", "127.0.0.1"},
                                       {"port", std::to_string((*server)->port())},
                                       {"tls", "none"},
                                       {"from", "linkgate <no-reply@example.com>"},
                                       {"timeout", "5s"}},
                                      host);
  };
  c.received = [server](TestHost&) {
    std::vector<std::string> out;
    for (std::size_t n = 1; *server && n <= (*server)->count(); ++n) {
      out.push_back(linkgate::testing::text_part((*server)->message(static_cast<int>(n))));
    }
    return out;
  };
  return c;
}

INSTANTIATE_TEST_SUITE_P(FirstParty, DeliveryChannelConformance,
                         ::testing::Values(outbox_case(), sms_http_case(), smtp_case()),
                         case_name<DeliveryChannelCase>);

// ---- user stores ----

UserStoreCase sql_case() {
  return {"sql",
          [](TestHost& host) {
            return plugin("users", "sql")
                .create<sdk::UserStore>({{"database", fresh_dir() + "/users.db"}}, host);
          },
          false,
          {}};
}

UserStoreCase yaml_case() {
  UserStoreCase c;
  c.name = "yaml";
  c.read_only = true;
  c.existing = {{sdk::AddressKind::email, "listed@example.com"},
                {sdk::AddressKind::phone, "+14155550111"}};
  c.make = [](TestHost& host) {
    const std::string file = fresh_dir() + "/users.yaml";
    std::ofstream(file) << "- { id: u1, email: listed@example.com }\n"
                           "- { id: u2, phone: \"+14155550111\" }\n";
    return plugin("users", "yaml").create<sdk::UserStore>({{"file", file}}, host);
  };
  return c;
}

INSTANTIATE_TEST_SUITE_P(FirstParty, UserStoreConformance,
                         ::testing::Values(sql_case(), yaml_case()), case_name<UserStoreCase>);

}  // namespace
}  // namespace linkgate::testkit
