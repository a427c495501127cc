// The log's frames gathered into one write per commit (sql/wal_write_batching.h): fewer system
// calls, and nothing any connection or a crash can tell apart from SQLite's own writes.
#include "sql/wal_write_batching.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include "sql/database.h"
#include "support/file_contents.h"
#include "support/temp_dir.h"

namespace linkgate::sql {
namespace {

using Poco::Data::Keywords::into;
using Poco::Data::Keywords::now;

// A raw connection, opened through whatever file system is SQLite's default.
struct Connection {
  sqlite3* db = nullptr;
  // @p vfs: a file system by name ("unix": SQLite's own, so the shim never sees its writes).
  explicit Connection(const std::string& path, const char* vfs = nullptr) {
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs) !=
        SQLITE_OK) {
      throw std::runtime_error("open " + path);
    }
    sqlite3_busy_timeout(db, 5000);
    run("PRAGMA journal_mode=WAL");
    run("PRAGMA synchronous=NORMAL");
  }
  ~Connection() { sqlite3_close(db); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void run(const std::string& sql) const {
    char* error = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
      std::string message = error != nullptr ? error : "?";
      sqlite3_free(error);
      throw std::runtime_error(sql + ": " + message);
    }
  }
  [[nodiscard]] std::string text(const std::string& sql) const {
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(db, sql.c_str(), -1, &statement, nullptr);
    std::string out;
    if (sqlite3_step(statement) == SQLITE_ROW) {
      const auto* value = sqlite3_column_text(statement, 0);
      out = value != nullptr ? reinterpret_cast<const char*>(value) : "";
    }
    sqlite3_finalize(statement);
    return out;
  }
};

// Runs @p work in a child process that is then killed (SIGKILL) where @p work returns.
void in_a_killed_child(const std::function<void()>& work) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    try {
      use_batched_wal_writes();
      work();
    } catch (...) {
      _exit(3);
    }
    raise(SIGKILL);
    _exit(4);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child failed before it was killed (status " << status << ")";
}

TEST(WalWriteBatching, ACommitOfManyFramesIsOneWriteToTheLog) {
  use_batched_wal_writes();
  testing::TempDir dir;
  auto db = Database::open("sqlite:" + dir.file("one.db"));
  {
    auto lease = db->session();
    *lease << "CREATE TABLE t (n INTEGER PRIMARY KEY, body BLOB NOT NULL)", now;
    *lease << "CREATE INDEX t_body ON t (body)", now;
  }
  const auto before = wal_write_counts();
  constexpr int kCommits = 50;
  for (int i = 0; i < kCommits; ++i) {
    db->write([](Poco::Data::Session& s) {
      s << "INSERT INTO t (body) VALUES (randomblob(3000)), (randomblob(3000))", now;
    });
  }
  const auto after = wal_write_counts();
  // Each commit changes several pages (table leaves, index leaves): SQLite asks for two writes
  // per page; each commit is one.
  EXPECT_GE(after.asked - before.asked, 6u * kCommits);
  EXPECT_LE(after.issued - before.issued, kCommits + 5u);

  int rows = 0;
  auto lease = db->session();
  *lease << "SELECT COUNT(*) FROM t", into(rows), now;
  EXPECT_EQ(rows, 2 * kCommits);
}

TEST(WalWriteBatching, ACommitLargerThanOneWriteOfSQLitesGoesOutInPieces) {
  use_batched_wal_writes();
  testing::TempDir dir;
  auto db = Database::open("sqlite:" + dir.file("large.db"));
  {
    auto lease = db->session();
    *lease << "CREATE TABLE t (n INTEGER PRIMARY KEY, body BLOB NOT NULL)", now;
  }
  // About 500 pages, 2 MiB of log in one commit: past the 1 MiB the shim gathers before it
  // writes, and each write in pieces, since SQLite's own file system takes at most 128 KiB - 1
  // per write and calls a longer one a full disk.
  db->write([](Poco::Data::Session& s) {
    s << "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 1000)"
         " INSERT INTO t SELECT n, randomblob(2048) FROM k",
        now;
  });
  int rows = 0;
  std::string integrity;
  auto lease = db->session();
  *lease << "SELECT COUNT(*) FROM t", into(rows), now;
  *lease << "PRAGMA integrity_check", into(integrity), now;
  EXPECT_EQ(rows, 1000);
  EXPECT_EQ(integrity, "ok");
}

TEST(WalWriteBatching, EveryCommitOutlivesAKillAndAHalfWrittenTransactionDoesNot) {
  testing::TempDir dir;
  const std::string path = dir.file("killed.db");
  in_a_killed_child([&] {
    Connection c(path);
    c.run("CREATE TABLE t (n INTEGER PRIMARY KEY, body BLOB NOT NULL)");
    for (int i = 0; i < 200; ++i) c.run("INSERT INTO t (body) VALUES (randomblob(3000))");
    // A transaction larger than the page cache writes frames before its commit: gathered,
    // never committed.
    c.run("PRAGMA cache_size=8");
    c.run("BEGIN");
    c.run(
        "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 300)"
        " INSERT INTO t (body) SELECT randomblob(3000) FROM k");
  });
  Connection after(path);
  EXPECT_EQ(after.text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(after.text("SELECT COUNT(*) FROM t"), "200");
}

TEST(WalWriteBatching, APageChangedTwiceAfterFramesWentOutIsCommittedWhole) {
  testing::TempDir dir;
  const std::string path = dir.file("twice.db");
  in_a_killed_child([&] {
    Connection c(path);
    c.run("CREATE TABLE t (n INTEGER PRIMARY KEY, v INTEGER NOT NULL, body BLOB NOT NULL)");
    c.run(
        "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 300)"
        " INSERT INTO t SELECT n, 0, randomblob(1000) FROM k");
    // With a cache of a few pages, the first pass writes its pages to the log mid-transaction;
    // the second changes them again, so SQLite overwrites those frames in place, then rewrites
    // the checksums of every frame from there at the commit. Killed right after the commit.
    c.run("PRAGMA cache_size=4");
    c.run("BEGIN");
    c.run("UPDATE t SET v = 1");
    c.run("UPDATE t SET v = v + 1");
    c.run("COMMIT");
  });
  Connection after(path);
  EXPECT_EQ(after.text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(after.text("SELECT COUNT(*) FROM t WHERE v = 2"), "300");
}

TEST(WalWriteBatching, ARolledBackTransactionsFramesNeverLandOnAnotherWritersFrames) {
  use_batched_wal_writes();
  testing::TempDir dir;
  const std::string path = dir.file("rolled.db");
  Connection a(path);
  Connection b(path);
  a.run("CREATE TABLE t (n INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  a.run("INSERT INTO t (body) VALUES (randomblob(100))");
  // a's transaction spills frames to the log, then rolls back: those frames lie past the last
  // commit, where b writes its own next. Its cache holds the tree's upper pages but not its
  // leaves, so the spilled leaves are never read back: nothing but the end of the transaction
  // makes them go to the file.
  a.run("PRAGMA cache_size=20");
  a.run("BEGIN");
  a.run(
      "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 200)"
      " INSERT INTO t (body) SELECT randomblob(2000) FROM k");
  a.run("ROLLBACK");
  b.run(
      "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 50)"
      " INSERT INTO t (body) SELECT zeroblob(2000) FROM k");
  // a uses its log file again (a read, then a write): anything of the rolled-back transaction
  // still held would be written now, over b's committed frames.
  EXPECT_EQ(a.text("SELECT COUNT(*) FROM t"), "51");
  a.run("INSERT INTO t (body) VALUES (randomblob(100))");

  Connection fresh(path);
  EXPECT_EQ(fresh.text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(fresh.text("SELECT COUNT(*) FROM t WHERE body = zeroblob(2000)"), "50");
  EXPECT_EQ(fresh.text("SELECT COUNT(*) FROM t"), "52");
}

TEST(WalWriteBatching, AnotherConnectionSeesEachCommitAtOnce) {
  use_batched_wal_writes();
  testing::TempDir dir;
  const std::string path = dir.file("seen.db");
  Connection writer(path);
  Connection reader(path);
  writer.run("CREATE TABLE t (n INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  for (int i = 1; i <= 100; ++i) {
    writer.run("INSERT INTO t (body) VALUES (randomblob(3000)), (randomblob(3000))");
    ASSERT_EQ(reader.text("SELECT COUNT(*) FROM t"), std::to_string(2 * i));
  }
  EXPECT_EQ(reader.text("PRAGMA integrity_check"), "ok");
}

const std::string kStale = "stale-frame-0f3c9a";

// About 2.5 MiB of log whose rows each hold kStale, all deleted again: their page images stay in
// the log's frames.
void fill_the_log_with_rows_since_deleted(const Connection& c) {
  c.run("CREATE TABLE t (n INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  for (int i = 0; i < 200; ++i) {
    c.run("INSERT INTO t (body) VALUES ('" + kStale + "' || hex(randomblob(1500)))");
  }
  c.run("DELETE FROM t");
}

// Asks the shim to zero what the log holds now, then has it start over: every frame copied into
// the database file, so the next write starts the log at its beginning, and the pass begins as
// that write lets go of the lock.
void zero_after_the_next_restart(const Connection& c) {
  const auto log = stale_log_frames(c.db);
  ASSERT_TRUE(log.has_value()) << "the log is written through the shim";
  ASSERT_TRUE(zero_stale_log_frames_after(c.db, log->generation));
  c.run("PRAGMA wal_checkpoint(PASSIVE)");
  c.run("INSERT INTO t (body) VALUES ('restart')");
  const auto after = stale_log_frames(c.db);
  ASSERT_EQ(after->generation, log->generation + 1) << "the write started the log over";
  ASSERT_TRUE(after->zeroing);
}

TEST(WalWriteBatching, AStaleTailIsZeroedAfterTheLogStartsOverAndAnotherWritersFramesAreSpared) {
  use_batched_wal_writes();
  testing::TempDir dir;
  const std::string path = dir.file("stale.db");
  Connection a(path);
  Connection b(path, "unix");
  a.run("PRAGMA wal_autocheckpoint=0");
  b.run("PRAGMA wal_autocheckpoint=0");
  fill_the_log_with_rows_since_deleted(a);
  ASSERT_TRUE(testing::file_holds(path + "-wal", kStale))
      << "the deleted rows' pages are in the log";
  const auto log_size = std::filesystem::file_size(path + "-wal");
  const auto zeroed_before = wal_write_counts().zeroed;

  zero_after_the_next_restart(a);
  // b writes past a's frames, into the stale tail the pass has not reached yet; the shim never
  // sees those writes. Then a takes and lets go of the write lock without writing a frame (an
  // empty transaction): zeroing past a's own last frame would wipe b's commits.
  for (int i = 0; i < 50; ++i) b.run("INSERT INTO t (body) VALUES (zeroblob(2000))");
  int commits = 0;
  while (stale_log_frames(a.db)->zeroing && commits < 1000) {
    a.run("BEGIN IMMEDIATE; COMMIT");
    ++commits;
  }
  const auto log = stale_log_frames(a.db);
  EXPECT_FALSE(log->zeroing);
  EXPECT_EQ(log->passes, 1u);
  EXPECT_EQ(log->gone_through, log->generation - 1);
  EXPECT_LE(commits, log_size / 0x1f000 + 2) << "124 KiB per commit";
  EXPECT_FALSE(testing::file_holds(path + "-wal", kStale));
  EXPECT_EQ(std::filesystem::file_size(path + "-wal"), log_size) << "zeroed, not cut";
  EXPECT_GT(wal_write_counts().zeroed - zeroed_before, log_size / 2);

  Connection fresh(path);
  EXPECT_EQ(fresh.text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(fresh.text("SELECT COUNT(*) FROM t WHERE body = zeroblob(2000)"), "50");
  EXPECT_EQ(fresh.text("SELECT COUNT(*) FROM t"), "51");
  EXPECT_EQ(b.text("SELECT COUNT(*) FROM t"), "51");
}

// SQLite's recovery reads the log from its start up to the first frame that does not belong:
// zeros past the last commit end it there, and every commit before is kept.
TEST(WalWriteBatching, ALogWhoseStaleTailWasZeroedRecoversEveryCommitAfterAKill) {
  testing::TempDir dir;
  const std::string path = dir.file("zeroed-killed.db");
  in_a_killed_child([&] {
    Connection c(path);
    c.run("PRAGMA wal_autocheckpoint=0");
    fill_the_log_with_rows_since_deleted(c);
    zero_after_the_next_restart(c);
    for (int i = 0; i < 30; ++i) c.run("INSERT INTO t (body) VALUES (zeroblob(500))");
    if (stale_log_frames(c.db)->zeroing) throw std::runtime_error("the pass did not finish");
  });
  EXPECT_FALSE(testing::file_holds(path + "-wal", kStale));
  Connection after(path);
  EXPECT_EQ(after.text("PRAGMA integrity_check"), "ok");
  EXPECT_EQ(after.text("SELECT COUNT(*) FROM t WHERE body = zeroblob(500)"), "30");
  EXPECT_EQ(after.text("SELECT COUNT(*) FROM t"), "31");
}

}  // namespace
}  // namespace linkgate::sql
