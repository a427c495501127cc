// The SDK testkit's user store suite against the built plugin.
#include <gtest/gtest.h>

#include <fstream>

#include "linkgate/testkit/testkit.h"
#include "linkgate/testkit/user_store_conformance.h"

namespace {

using namespace linkgate::testkit;

UserStoreCase csv_case() {
  UserStoreCase c;
  c.name = "csv_directory";
  c.read_only = true;
  c.existing = {{linkgate::sdk::AddressKind::email, "ada@example.com"},
                {linkgate::sdk::AddressKind::phone, "+14155550177"}};
  c.make = [](TestHost& host) {
    const std::string file = (host.scratch_directory() / "users.csv").string();
    std::ofstream(file) << "# id,email,phone,locale\n"
                           "u-ada, Ada@Example.com, , en\n"
                           "u-grace, , +14155550177, de\n";
    return LoadedPlugin::load(PLUGIN_FILE).create<linkgate::sdk::UserStore>({{"file", file}}, host);
  };
  return c;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Example, UserStoreConformance, ::testing::Values(csv_case()),
                         case_name<UserStoreCase>);

TEST(CsvDirectory, ABrokenFileIsRefusedWithItsLine) {
  TestHost host;
  const std::string file = (host.scratch_directory() / "users.csv").string();
  std::ofstream(file) << "u1,a@example.com\nu1,b@example.com\n";
  try {
    LoadedPlugin::load(PLUGIN_FILE).create<linkgate::sdk::UserStore>({{"file", file}}, host);
    FAIL() << "a duplicate id was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("line 2: duplicate id"), std::string::npos) << e.what();
  }
}
