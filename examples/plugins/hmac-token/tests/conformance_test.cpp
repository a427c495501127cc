// The SDK testkit's token strategy suite against the built plugin.
#include <gtest/gtest.h>

#include "linkgate/testkit/testkit.h"
#include "linkgate/testkit/token_strategy_conformance.h"

namespace {

using namespace linkgate::testkit;

TokenStrategyCase hmac_case() {
  return {"hmac",
          [](TestHost& host) {
            const std::string key_file = (host.scratch_directory() / "key").string();
            return LoadedPlugin::load(PLUGIN_FILE)
                .create<linkgate::sdk::TokenStrategy>({{"key_file", key_file}}, host);
          },
          false};
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Example, TokenStrategyConformance, ::testing::Values(hmac_case()),
                         case_name<TokenStrategyCase>);
