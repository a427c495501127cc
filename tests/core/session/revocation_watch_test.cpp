// A remembered "not revoked" answer holds only while no revocation came since, on any instance
// sharing the database: the counter file is shared by every watch on it, across processes too.
#include "session/revocation_watch.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "host/host_services.h"
#include "host/sql_expiring_keys.h"
#include "session/session_tokens.h"
#include "session/signing_keys.h"
#include "sql/database.h"
#include "support/temp_dir.h"

namespace linkgate::session {
namespace {

using namespace std::chrono;

TEST(RevocationWatch, AnAnswerHoldsUntilTheCounterMoves) {
  testing::TempDir dir;
  RevocationWatch watch(dir.file("counter"));
  const auto at = watch.counter();
  watch.remember_not_revoked("jti-1", at);
  EXPECT_TRUE(watch.known_not_revoked("jti-1", at));
  EXPECT_FALSE(watch.known_not_revoked("jti-2", at)) << "only what was found";
  watch.revoked();
  EXPECT_GT(watch.counter(), at);
  EXPECT_FALSE(watch.known_not_revoked("jti-1", watch.counter()));
}

// At a busy server's scale: 100,000 sessions remembered (more than the shards hold, so they
// overflow and forget), and one logout ends every answer still remembered.
TEST(RevocationWatch, OneLogoutEndsEveryRememberedAnswer) {
  testing::TempDir dir;
  RevocationWatch watch(dir.file("counter"));
  const auto at = watch.counter();
  int remembered = 0;
  for (int i = 0; i < 100'000; ++i) watch.remember_not_revoked("jti-" + std::to_string(i), at);
  for (int i = 0; i < 100'000; ++i) {
    if (watch.known_not_revoked("jti-" + std::to_string(i), at)) ++remembered;
  }
  EXPECT_GT(remembered, 0);
  EXPECT_LE(remembered, 16 * 4096) << "bounded";
  watch.revoked();
  const auto now = watch.counter();
  for (int i = 0; i < 100'000; ++i) {
    ASSERT_FALSE(watch.known_not_revoked("jti-" + std::to_string(i), now)) << i;
  }
}

TEST(RevocationWatch, ACheckBegunBeforeARevocationDoesNotOverwriteNewerAnswers) {
  testing::TempDir dir;
  RevocationWatch watch(dir.file("counter"));
  const auto before = watch.counter();
  watch.revoked();
  const auto after = watch.counter();
  watch.remember_not_revoked("new", after);
  watch.remember_not_revoked("old", before);  // found before the revocation: not kept
  EXPECT_TRUE(watch.known_not_revoked("new", after));
  EXPECT_FALSE(watch.known_not_revoked("old", after));
}

TEST(RevocationWatch, EveryWatchOnTheFileSeesARevocationAndAStart) {
  testing::TempDir dir;
  RevocationWatch one(dir.file("counter"));
  RevocationWatch two(dir.file("counter"));  // another instance: a mapping of its own
  auto at = two.counter();
  one.revoked();
  EXPECT_GT(two.counter(), at);
  at = one.counter();
  RevocationWatch three(dir.file("counter"));
  EXPECT_GT(one.counter(), at) << "a starting instance ends what others remembered";
  EXPECT_EQ(
      std::filesystem::status(dir.file("counter")).permissions() & std::filesystem::perms::all,
      std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
}

TEST(RevocationWatch, ARevocationInAnotherProcessIsSeen) {
  testing::TempDir dir;
  RevocationWatch watch(dir.file("counter"));
  const auto at = watch.counter();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    RevocationWatch theirs(dir.file("counter"));  // +1 for starting
    theirs.revoked();                             // +1 for the revocation
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_EQ(watch.counter(), at + 2);
}

TEST(RevocationWatch, AFileThatCannotBeMappedIsRefusedAtOnce) {
  testing::TempDir dir;
  EXPECT_THROW(RevocationWatch(dir.file("no-such-folder/counter")), std::runtime_error);
  std::filesystem::create_symlink(dir.file("elsewhere"), dir.file("link"));
  EXPECT_THROW(RevocationWatch(dir.file("link")), std::runtime_error) << "no symlink followed";
  EXPECT_FALSE(std::filesystem::exists(dir.file("elsewhere")));
  { std::ofstream(dir.file("shared")) << ""; }
  std::filesystem::permissions(dir.file("shared"), std::filesystem::perms::others_write,
                               std::filesystem::perm_options::add);
  EXPECT_THROW(RevocationWatch(dir.file("shared")), std::runtime_error)
      << "one anyone may write could be set back";
  EXPECT_EQ(std::filesystem::file_size(dir.file("shared")), 0u) << "and it was not written to";
  { std::ofstream(dir.file("group")) << ""; }
  std::filesystem::permissions(dir.file("group"), std::filesystem::perms::group_write,
                               std::filesystem::perm_options::add);
  EXPECT_THROW(RevocationWatch(dir.file("group")), std::runtime_error) << "nor a group";
}

// Two instances on one SQLite database, each with its own connections, revocation store and
// watch: a logout on one ends the session on the other at once, though the other had checked
// (and remembered) it a moment before.
TEST(RevocationWatch, ALogoutOnOneInstanceHoldsOnTheOtherAtOnce) {
  testing::TempDir dir;
  auto clock = std::make_shared<host::ManualClock>();
  struct Instance {
    std::ostringstream log_text;
    host::SharedServices shared;
    std::unique_ptr<host::PluginServices> services;
    Instance(const std::string& db_file, const std::shared_ptr<host::ManualClock>& clock) {
      shared.log = std::make_shared<host::Log>(sdk::LogLevel::error, false, log_text);
      shared.clock = clock;
      shared.random = std::make_shared<host::OpenSslRandom>();
      shared.metrics = std::make_shared<host::MetricsRegistry>();
      shared.expiring_keys =
          std::make_shared<host::SqlExpiringKeys>(sql::Database::open("sqlite:" + db_file), *clock);
      shared.http = std::make_shared<host::PocoHttpClient>();
      services = std::make_unique<host::PluginServices>(shared, "core");
    }
  };
  const auto db_file = dir.file("linkgate.db");
  Instance a(db_file, clock), b(db_file, clock);
  SigningKeys keys(dir.file("keys"), hours(24 * 30), hours(1), *clock);
  SessionTokens on_a(keys, "https://id.example.com", "linkgate", hours(1), *a.services);
  SessionTokens on_b(keys, "https://id.example.com", "linkgate", hours(1), *b.services);
  on_a.watch_revocations(std::make_shared<RevocationWatch>(revocation_counter_file(db_file)));
  on_b.watch_revocations(std::make_shared<RevocationWatch>(revocation_counter_file(db_file)));

  const auto session = on_a.issue({"usr_1", "a@example.com", "", ""}).value();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(on_b.verify(session.token).ok());
  const auto other = on_a.issue({"usr_2", "b@example.com", "", ""}).value();
  ASSERT_TRUE(on_b.verify(other.token).ok());

  ASSERT_TRUE(on_a.revoke(on_a.verify(session.token).value()).ok());
  EXPECT_EQ(on_b.verify(session.token).code(), sdk::ErrorCode::used) << "revoked everywhere";
  EXPECT_EQ(on_a.verify(session.token).code(), sdk::ErrorCode::used);
  EXPECT_TRUE(on_b.verify(other.token).ok()) << "another session goes on";
  EXPECT_TRUE(on_b.verify(other.token).ok());
}

}  // namespace
}  // namespace linkgate::session
