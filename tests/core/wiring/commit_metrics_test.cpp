// The core store's commit counts on /metrics: rendered while the store lives, from the latest
// store reported (a reload's), and not at all once it is gone (or for a store with no SQLite
// writer: the same null group commit).
#include "wiring/commit_metrics.h"

#include <gtest/gtest.h>

#include <string>

#include "support/temp_dir.h"

namespace linkgate::wiring {
namespace {

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

void write_once(sql::Database& db) {
  db.write([](Poco::Data::Session& s) {
    s << "CREATE TABLE IF NOT EXISTS t (x INTEGER)", Poco::Data::Keywords::now;
  });
}

TEST(CommitMetrics, TheLatestStoreIsRenderedWhileItLivesAndNothingAfter) {
  testing::TempDir dir;
  host::MetricsRegistry metrics;
  auto first = sql::Database::open("sqlite:" + dir.file("first.db"));
  write_once(*first);
  report_commits(metrics, first);
  std::string text = metrics.render();
  EXPECT_NE(text.find("\nlinkgate_sqlite_commits_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nlinkgate_sqlite_commit_writes_total 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nlinkgate_sqlite_commit_wait_seconds_count 1\n"), std::string::npos);
  EXPECT_NE(text.find("\nlinkgate_sqlite_commit_wake_seconds_count 1\n"), std::string::npos);

  auto second = sql::Database::open("sqlite:" + dir.file("second.db"));
  for (int i = 0; i < 3; ++i) write_once(*second);
  report_commits(metrics, second);  // a reload's store
  text = metrics.render();
  EXPECT_EQ(occurrences(text, "# TYPE linkgate_sqlite_commits_total counter"), 1u) << text;
  EXPECT_NE(text.find("\nlinkgate_sqlite_commits_total 3\n"), std::string::npos) << text;

  second.reset();
  text = metrics.render();
  EXPECT_EQ(text.find("linkgate_sqlite_"), std::string::npos) << "the store is gone: " << text;
}

}  // namespace
}  // namespace linkgate::wiring
