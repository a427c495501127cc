#include "cli/users_import.h"

#include <gtest/gtest.h>

#include <sstream>

#include "core/flow/flow_fakes.h"

namespace linkgate::cli {
namespace {

using flow::fakes::MemoryUsers;

struct Imported {
  ImportReport report;
  std::vector<std::string> added;  // ids, in the order they were reported
};

Imported run(const std::string& text, MemoryUsers& users) {
  std::istringstream in(text);
  Imported out;
  out.report = import_users(in, users, [&](const sdk::User& u) { out.added.push_back(u.id); });
  return out;
}

TEST(UsersImport, MakesAUserOfEveryAddressAndCountsThoseAlreadyThere) {
  MemoryUsers users;
  ASSERT_TRUE(users.create({sdk::AddressKind::email, "old@example.com"}).ok());
  const auto done =
      run("# exported 2026-11-30\n"
          "Ada@Example.com\r\n"
          "\n"
          "  +1 (555) 123-4567  \n"
          "old@example.com\n"
          "ada@example.com\n"
          "grace@example.com",  // no newline at the end
          users);
  EXPECT_EQ(done.report.added, 3u);
  EXPECT_EQ(done.report.existing, 2u);
  EXPECT_EQ(done.report.refused, 0u);
  EXPECT_FALSE(done.report.stopped);
  ASSERT_EQ(done.added.size(), 3u);
  EXPECT_EQ(users.users.size(), 4u);
  EXPECT_TRUE(users.find({sdk::AddressKind::email, "ada@example.com"}).ok());
  EXPECT_TRUE(users.find({sdk::AddressKind::phone, "+15551234567"}).ok());
  EXPECT_TRUE(users.find({sdk::AddressKind::email, "grace@example.com"}).ok());
}

TEST(UsersImport, RefusesEveryLineThatIsNoAddressAndGoesOn) {
  MemoryUsers users;
  const std::string huge(100'000, 'a');
  const auto done = run(
      "alice@@example.com\n"
      "bob@example.com\r\nBcc: x@y.z\n" +
          huge + "@example.com\n" + std::string("nul\0@example.com\n", 17) + "carol@example.com\n",
      users);
  EXPECT_EQ(done.report.added, 2u);  // bob and carol
  EXPECT_EQ(done.report.refused, 4u);
  ASSERT_EQ(done.report.refusals.size(), 4u);
  EXPECT_EQ(done.report.refusals[0].line, 1u);
  EXPECT_EQ(done.report.refusals[1].line, 3u);
  EXPECT_EQ(done.report.refusals[2].line, 4u);
  EXPECT_NE(done.report.refusals[2].why.find("longer than"), std::string::npos);
  EXPECT_EQ(done.report.refusals[3].line, 5u);
  EXPECT_EQ(users.users.size(), 2u);
  for (const auto& [id, u] : users.users) EXPECT_EQ(u.email.find('\n'), std::string::npos);
}

TEST(UsersImport, KeepsTheFirstRefusalsAndCountsTheRest) {
  MemoryUsers users;
  std::string text;
  for (int i = 0; i < 1000; ++i) text += "not an address\n";
  const auto done = run(text, users);
  EXPECT_EQ(done.report.refused, 1000u);
  EXPECT_EQ(done.report.refusals.size(), ImportReport::kMaxRefusals);
  EXPECT_EQ(done.report.refusals.back().line, ImportReport::kMaxRefusals);
}

TEST(UsersImport, StopsAtTheStoresFirstFailureAndSaysWhere) {
  MemoryUsers users;
  ASSERT_TRUE(users.create({sdk::AddressKind::email, "a@example.com"}).ok());
  auto first = run("a@example.com\nb@example.com\n", users);
  ASSERT_EQ(first.report.added, 1u);
  users.is_down = true;
  const auto done = run("c@example.com\nd@example.com\n", users);
  ASSERT_TRUE(done.report.stopped);
  EXPECT_EQ(done.report.stopped->line, 1u);
  EXPECT_EQ(done.report.added, 0u);
  users.is_down = false;
  const auto again = run("a@example.com\nb@example.com\nc@example.com\nd@example.com\n", users);
  EXPECT_FALSE(again.report.stopped);
  EXPECT_EQ(again.report.added, 2u);
  EXPECT_EQ(again.report.existing, 2u);
}

}  // namespace
}  // namespace linkgate::cli
