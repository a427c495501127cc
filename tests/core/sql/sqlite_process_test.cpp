// What main() does to SQLite first (sql/sqlite_process.h), in a process of its own: SQLite keeps
// its settings and file systems for the life of the process.
#include "sql/sqlite_process.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "sql/wal_write_batching.h"
#include "support/temp_dir.h"

namespace linkgate::sql {
namespace {

// The child's exit code says which check failed (0: none).
int tuned_child(const std::string& path) {
  if (!tune_sqlite_for_this_process()) return 10;
  const sqlite3_vfs* standard = sqlite3_vfs_find(nullptr);
  if (standard == nullptr || std::strcmp(standard->zName, "linkgate-wal-batching") != 0) return 11;
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) return 12;
  const auto before = wal_write_counts();
  const char* sql =
      "PRAGMA journal_mode=WAL; CREATE TABLE t (n INTEGER PRIMARY KEY, body BLOB);"
      " INSERT INTO t (body) SELECT randomblob(3000) FROM (SELECT 1 UNION ALL SELECT 2"
      " UNION ALL SELECT 3 UNION ALL SELECT 4);";
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return 13;
  const auto after = wal_write_counts();
  sqlite3_close(db);
  // Two commits of several pages each: SQLite asked for two writes a page, the log got a few.
  if (after.asked - before.asked < 8 || after.issued - before.issued > 4) return 14;
  return 0;
}

TEST(SqliteProcess, MainsTuningMakesEveryConnectionWriteItsLogACommitAtATime) {
  testing::TempDir dir;
  const std::string path = dir.file("tuned.db");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) _exit(tuned_child(path));
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10: not tuned, 11: another default file system, 12–13: "
                                       "SQLite failed, 14: the log written frame by frame";
}

}  // namespace
}  // namespace linkgate::sql
