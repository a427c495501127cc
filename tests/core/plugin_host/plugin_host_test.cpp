#include "plugin_host/plugin_host.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "config/plugin_config.h"
#include "plugin_host/guarded_plugins.h"
#include "support/temp_dir.h"
#include "support/test_config.h"
#include "support/test_services.h"
#include "util/crypto.h"

namespace linkgate::plugin_host {
namespace {

const std::string kBroken = LINKGATE_TEST_PLUGIN_DIR;

std::string error_of(const std::variant<PluginLibrary, std::string>& r) {
  auto* e = std::get_if<std::string>(&r);
  return e ? *e : "";
}

TEST(PluginHost, LoadsTheFirstPartyPlugins) {
  PluginHost host({linkgate::testing::plugin_dir()});
  for (auto [kind, name] : {std::pair{sdk::PluginKind::token_strategy, "jwt"},
                            std::pair{sdk::PluginKind::delivery_channel, "outbox"},
                            std::pair{sdk::PluginKind::user_store, "sql"}}) {
    auto found = host.find(kind, name);
    ASSERT_TRUE(std::holds_alternative<PluginLibrary>(found)) << error_of(found);
    EXPECT_EQ(std::get<PluginLibrary>(found).descriptor->name, std::string(name));
  }
}

TEST(PluginHost, NamesEveryPlaceItSearchedForAMissingPlugin) {
  PluginHost host({"/nonexistent/a", "/nonexistent/b"});
  auto e = error_of(host.find(sdk::PluginKind::delivery_channel, "carrier-pigeon"));
  EXPECT_NE(e.find("no delivery plugin \"carrier-pigeon\""), std::string::npos) << e;
  EXPECT_NE(e.find("/nonexistent/a/linkgate-delivery-carrier-pigeon.so"), std::string::npos) << e;
  EXPECT_NE(e.find("/nonexistent/b/linkgate-delivery-carrier-pigeon.so"), std::string::npos) << e;
}

TEST(PluginHost, RefusesPathTricksInPluginNames) {
  PluginHost host({kBroken});
  EXPECT_NE(error_of(host.find(sdk::PluginKind::token_strategy, "../evil")).find("not valid"),
            std::string::npos);
}

TEST(PluginHost, RefusesAWrongAbiNamingBothVersions) {
  auto e = error_of(load_plugin_library(kBroken + "/linkgate-token-wrongabi.so"));
  EXPECT_NE(e.find("linkgate-token-wrongabi.so"), std::string::npos) << e;
  EXPECT_NE(e.find("SDK 9.9.9 (plugin ABI 999)"), std::string::npos) << e;
  EXPECT_NE(e.find("this server runs SDK " + std::string(sdk::kSdkVersion)), std::string::npos)
      << e;
}

TEST(PluginHost, RefusesAPluginBuiltWithAnotherStandardLibraryAbiBeforeAnyCall) {
  // Built with -D_GLIBCXX_USE_CXX11_ABI=0; its factory aborts the process if it is ever called.
  const std::string ours = sdk::kBuildSignature;
  ASSERT_NE(ours.find("cxx11abi1"), std::string::npos) << ours;
  std::string theirs = ours;
  theirs.replace(theirs.find("cxx11abi1"), 9, "cxx11abi0");
  auto e = error_of(load_plugin_library(kBroken + "/linkgate-token-otherabi.so"));
  EXPECT_NE(e.find("was built with " + theirs), std::string::npos) << e;
  EXPECT_NE(e.find("this server was built with " + ours), std::string::npos) << e;
  PluginHost host({kBroken});
  EXPECT_TRUE(
      std::holds_alternative<std::string>(host.find(sdk::PluginKind::token_strategy, "otherabi")));
}

TEST(PluginHost, TheBuildSignatureNamesCompilerLibraryAndStandard) {
  const std::string s = sdk::kBuildSignature;
  EXPECT_EQ(s.rfind("gcc-" + std::to_string(__GNUC__) + " ", 0), 0u) << s;
  EXPECT_NE(s.find("libstdc++-" + std::to_string(_GLIBCXX_RELEASE)), std::string::npos) << s;
  EXPECT_NE(s.find("c++" + std::to_string(__cplusplus)), std::string::npos) << s;
}

TEST(PluginHost, RefusesALibraryWithoutTheEntryPoint) {
  auto e = error_of(load_plugin_library(kBroken + "/linkgate-token-nosymbol.so"));
  EXPECT_NE(e.find("is not a linkgate plugin: it exports no linkgate_plugin symbol"),
            std::string::npos)
      << e;
}

TEST(PluginHost, RefusesRandomBytesNamedLikeAPlugin) {
  linkgate::testing::TempDir dir;
  std::string file = dir.file("linkgate-token-random.so");
  std::ofstream(file, std::ios::binary) << util::random_bytes(4096);
  auto e = error_of(load_plugin_library(file));
  EXPECT_NE(e.find("cannot be loaded as a shared library"), std::string::npos) << e;
  EXPECT_NE(e.find(file), std::string::npos) << e;
  PluginHost host({dir.path().string()});
  EXPECT_NE(error_of(host.find(sdk::PluginKind::token_strategy, "random")).find("cannot be loaded"),
            std::string::npos);
}

TEST(PluginHost, RefusesAFileWhoseDescriptorDisagreesWithItsName) {
  linkgate::testing::TempDir dir;
  std::filesystem::copy_file(kBroken + "/linkgate-token-throwingfactory.so",
                             dir.file("linkgate-token-impostor.so"));
  PluginHost host({dir.path().string()});
  auto e = error_of(host.find(sdk::PluginKind::token_strategy, "impostor"));
  EXPECT_NE(e.find("says it is token plugin \"throwingfactory\""), std::string::npos) << e;
}

TEST(PluginHost, ContainsAThrowingFactory) {
  auto plugin =
      std::get<PluginLibrary>(load_plugin_library(kBroken + "/linkgate-token-throwingfactory.so"));
  linkgate::testing::TestServices services;
  config::Diagnostics d;
  auto cfg = config::PluginConfig::validate({}, {}, d, config::process_environment());
  auto made = create_instance(plugin, {cfg, *services.host});
  auto e = std::get_if<std::string>(&made);
  ASSERT_TRUE(e);
  EXPECT_NE(e->find("factory threw: cannot reach the moon"), std::string::npos) << *e;
  EXPECT_NE(e->find("linkgate-token-throwingfactory.so"), std::string::npos) << *e;
}

TEST(PluginHost, RefusesAFactoryThatMakesNothing) {
  auto plugin =
      std::get<PluginLibrary>(load_plugin_library(kBroken + "/linkgate-token-emptyfactory.so"));
  linkgate::testing::TestServices services;
  config::Diagnostics d;
  auto cfg = config::PluginConfig::validate({}, {}, d, config::process_environment());
  auto made = create_instance(plugin, {cfg, *services.host});
  ASSERT_TRUE(std::holds_alternative<std::string>(made));
  EXPECT_NE(std::get<std::string>(made).find("returned no token object"), std::string::npos);
}

TEST(PluginHost, ContainsExceptionsFromPluginMethods) {
  auto plugin =
      std::get<PluginLibrary>(load_plugin_library(kBroken + "/linkgate-users-throwing.so"));
  linkgate::testing::TestServices services;
  config::Diagnostics d;
  auto cfg = config::PluginConfig::validate(
      {}, {plugin.descriptor->config_keys, plugin.descriptor->config_key_count}, d,
      config::process_environment());
  EXPECT_EQ(cfg.get_string("mood"), "grumpy");
  auto made = create_instance(plugin, {cfg, *services.host});
  ASSERT_TRUE(std::holds_alternative<sdk::PluginInstance>(made));
  auto object = adopt(std::move(std::get<sdk::PluginInstance>(made).user_store), plugin, nullptr);
  GuardedUserStore guarded(object, "throwing", services.shared.log);
  EXPECT_EQ(guarded.find({sdk::AddressKind::email, "a@example.com"}).code(),
            sdk::ErrorCode::internal);
  EXPECT_EQ(guarded.create({sdk::AddressKind::email, "a@example.com"}).code(),
            sdk::ErrorCode::internal);
  EXPECT_EQ(guarded.ready().code(), sdk::ErrorCode::internal);
  EXPECT_NE(services.log_text.str().find("plugin throwing threw from find: find exploded"),
            std::string::npos);
}

TEST(PluginHost, ObjectsKeepTheirLibraryLoaded) {
  std::weak_ptr<boost::dll::shared_library> library;
  std::shared_ptr<sdk::UserStore> object;
  {
    PluginHost host({kBroken});
    auto plugin = std::get<PluginLibrary>(host.find(sdk::PluginKind::user_store, "throwing"));
    library = plugin.library;
    linkgate::testing::TestServices services;
    config::Diagnostics d;
    auto cfg = config::PluginConfig::validate({}, {}, d, config::process_environment());
    auto made = create_instance(plugin, {cfg, *services.host});
    object = adopt(std::move(std::get<sdk::PluginInstance>(made).user_store), plugin, nullptr);
  }
  EXPECT_FALSE(library.expired()) << "the host is gone, but an object from the library lives";
  object.reset();
  EXPECT_TRUE(library.expired()) << "the last object released the library";
}

TEST(PluginHost, DiscoverListsGoodAndBadFiles) {
  PluginHost host({kBroken});
  auto found = host.discover();
  int good = 0, bad = 0;
  for (const auto& f : found) std::holds_alternative<PluginLibrary>(f.plugin) ? ++good : ++bad;
  EXPECT_GE(good, 3);
  EXPECT_GE(bad, 2);
}

}  // namespace
}  // namespace linkgate::plugin_host
