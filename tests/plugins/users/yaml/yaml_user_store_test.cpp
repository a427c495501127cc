#include "yaml_user_store.h"

#include <gtest/gtest.h>

#include <fstream>

#include "support/temp_dir.h"

namespace linkgate::plugins::yaml {
namespace {

std::string write(const linkgate::testing::TempDir& dir, const std::string& text) {
  std::string file = dir.file("users.yaml");
  std::ofstream(file) << text;
  return file;
}

TEST(YamlUserStore, FindsByEmailPhoneAndId) {
  linkgate::testing::TempDir dir;
  YamlUserStore store(write(dir, R"(
- { id: alice, email: Alice@Example.com, phone: "+15551234567", locale: de }
- { id: bob, email: bob@example.com }
)"));
  EXPECT_EQ(store.find({sdk::AddressKind::email, "alice@example.com"})->id, "alice");
  EXPECT_EQ(store.find({sdk::AddressKind::phone, "+15551234567"})->locale, "de");
  EXPECT_EQ(store.get("bob")->email, "bob@example.com");
  EXPECT_EQ(store.find({sdk::AddressKind::email, "carol@example.com"}).code(),
            sdk::ErrorCode::not_found);
  EXPECT_EQ(store.get("carol").code(), sdk::ErrorCode::not_found);
  EXPECT_EQ(store.create({sdk::AddressKind::email, "carol@example.com"}).code(),
            sdk::ErrorCode::unsupported);
}

TEST(YamlUserStore, RefusesABadListNamingEachProblem) {
  linkgate::testing::TempDir dir;
  try {
    YamlUserStore store(write(dir, R"(
- { id: a, email: a@example.com }
- { id: a, email: b@example.com }
- { email: a@example.com }
- { id: c, phone: "555-1234" }
- { id: d }
- { id: e, email: e@example.com, name: Eve }
)"));
    FAIL() << "should have thrown";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("duplicate id a"), std::string::npos) << what;
    EXPECT_NE(what.find("duplicate email"), std::string::npos) << what;
    EXPECT_NE(what.find("id is required"), std::string::npos) << what;
    EXPECT_NE(what.find("not an E.164 number"), std::string::npos) << what;
    EXPECT_NE(what.find("needs an email or a phone"), std::string::npos) << what;
    EXPECT_NE(what.find(".name: unknown key"), std::string::npos) << what;
    EXPECT_NE(what.find("(line 3)"), std::string::npos) << what;
  }
}

TEST(YamlUserStore, RefusesFilesThatAreNotLists) {
  linkgate::testing::TempDir dir;
  EXPECT_THROW(YamlUserStore(write(dir, "alice: x\n")), std::runtime_error);
  EXPECT_THROW(YamlUserStore(write(dir, "- [unclosed\n")), std::runtime_error);
  EXPECT_THROW(YamlUserStore(dir.file("missing.yaml")), std::runtime_error);
}

}  // namespace
}  // namespace linkgate::plugins::yaml
