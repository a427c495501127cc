// Group commit on SQLite: concurrent writes share one transaction and one commit, each call
// returns only after the commit that holds its rows, and a call that fails is undone alone.
#include "sql/group_commit.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/sql/numbers_table.h"
#include "sql/database.h"
#include "sql/wal_write_batching.h"
#include "support/file_contents.h"
#include "support/temp_dir.h"

namespace linkgate::sql {
namespace {

using namespace std::chrono_literals;
using Poco::Data::Keywords::now;
using Poco::Data::Keywords::use;

using Table = testing::NumbersTable;

// Holds the writer inside one call until @p release, so the calls made meanwhile queue up and
// must go out together in the next transaction.
std::thread hold_the_writer(Table& table, std::atomic<bool>& inside, std::atomic<bool>& release) {
  return std::thread([&] {
    table.db->write([&](Poco::Data::Session&) {
      inside = true;
      while (!release) std::this_thread::sleep_for(1ms);
    });
  });
}

TEST(GroupCommit, CallsMadeWhileTheWriterIsBusyShareOneTransaction) {
  Table table;
  std::atomic<bool> inside{false}, release{false};
  auto holder = hold_the_writer(table, inside, release);
  while (!inside) std::this_thread::sleep_for(1ms);
  const auto before = table.db->group_commit()->transactions();
  std::vector<std::thread> writers;
  for (int i = 0; i < 40; ++i) writers.emplace_back([&table, i] { table.insert(i); });
  std::this_thread::sleep_for(200ms);  // every writer is queued behind the held call
  EXPECT_EQ(table.count(), 0) << "nothing is visible before its commit";
  release = true;
  holder.join();
  for (auto& w : writers) w.join();
  EXPECT_EQ(table.count(), 40) << "each call returned after the commit holding its row";
  EXPECT_LE(table.db->group_commit()->transactions() - before, 3u)
      << "40 calls, one transaction for the held call and about one for the rest";
}

std::size_t bucket_of(double seconds) {
  const auto& bounds = util::LatencyCounts::kBounds;
  return static_cast<std::size_t>(std::find(bounds.begin(), bounds.end(), seconds) -
                                  bounds.begin());
}

// Each write counts its two waits for /metrics: until its commit was done — past 50 ms for a
// call held 200 ms and for the call queued behind it (unless its thread took 150 ms to start) —
// and from then until it ran again; the log's own calls (a truncation) count neither.
TEST(GroupCommit, EachWriteCountsItsWaitForItsCommitAndForACoreAfterIt) {
  Table table;
  const GroupCommit& commits = *table.db->group_commit();
  const auto waits_before = commits.commit_waits().read();
  const auto wakes_before = commits.wake_delays().read();
  std::atomic<bool> inside{false}, release{false};
  auto holder = hold_the_writer(table, inside, release);
  while (!inside) std::this_thread::sleep_for(1ms);
  std::thread queued([&table] { table.insert(1); });
  std::this_thread::sleep_for(200ms);
  release = true;
  holder.join();
  queued.join();
  const auto waits = commits.commit_waits().read();
  EXPECT_EQ(waits.count - waits_before.count, 2u);
  const std::size_t fifty_ms = bucket_of(0.05);
  ASSERT_LT(fifty_ms, waits.at_most.size());
  EXPECT_EQ(waits.at_most[fifty_ms], waits_before.at_most[fifty_ms])
      << "neither call's commit was done within 50 ms of its queueing";
  EXPECT_GE(waits.sum_seconds - waits_before.sum_seconds, 0.25);
  EXPECT_EQ(commits.wake_delays().read().count - wakes_before.count, 2u);
  EXPECT_TRUE(table.db->truncate_log());
  EXPECT_EQ(commits.commit_waits().read().count, waits.count);
}

TEST(GroupCommit, AFailingCallIsUndoneAloneAndItsErrorIsItsOwn) {
  Table table;
  std::atomic<bool> inside{false}, release{false};
  auto holder = hold_the_writer(table, inside, release);
  while (!inside) std::this_thread::sleep_for(1ms);
  std::vector<std::thread> writers;
  std::atomic<int> failed{0};
  for (int i = 0; i < 10; ++i) writers.emplace_back([&table, i] { table.insert(i); });
  writers.emplace_back([&] {
    try {
      table.db->write([](Poco::Data::Session& s) {
        s << "INSERT INTO t (n) VALUES (1000)", now;
        throw std::runtime_error("the handler changed its mind");
      });
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()) == "the handler changed its mind") ++failed;
    }
  });
  writers.emplace_back([&] {
    try {
      table.db->write(
          [](Poco::Data::Session& s) { s << "INSERT INTO no_such_table (n) VALUES (1)", now; });
    } catch (const Poco::Exception&) {
      ++failed;  // the database's own error, to this caller only
    }
  });
  std::this_thread::sleep_for(200ms);
  release = true;
  holder.join();
  for (auto& w : writers) w.join();
  EXPECT_EQ(failed.load(), 2);
  EXPECT_EQ(table.count(), 10) << "the other ten committed; row 1000 was undone";
}

// submit(): nothing waits, and each call hears once, on the writer's thread, that its commit is
// done — with its rows already visible to any reader — or what failed, undone alone.
TEST(GroupCommit, ASubmittedCallIsToldOnceItsCommitIsDoneAndAFailureIsItsOwn) {
  Table table;
  std::atomic<bool> inside{false}, release{false};
  auto holder = hold_the_writer(table, inside, release);
  while (!inside) std::this_thread::sleep_for(1ms);
  struct Told {
    std::mutex mutex;
    std::condition_variable changed;
    int calls = 0, failures = 0, seen_before_told = -1;
    std::thread::id on;
  } told;
  for (int i = 0; i < 20; ++i) {
    table.db->write_then(Table::inserting(i), [&told](std::exception_ptr failed) {
      std::lock_guard lock(told.mutex);
      ++told.calls;
      if (failed) ++told.failures;
      told.on = std::this_thread::get_id();
      told.changed.notify_all();
    });
  }
  table.db->write_then(
      [](Poco::Data::Session& s) {
        s << "INSERT INTO t (n) VALUES (1000)", now;
        throw std::runtime_error("changed its mind");
      },
      [&told](std::exception_ptr failed) {
        std::lock_guard lock(told.mutex);
        ++told.calls;
        try {
          if (failed) std::rethrow_exception(failed);
        } catch (const std::runtime_error& e) {
          if (std::string(e.what()) == "changed its mind") ++told.failures;
        }
        told.changed.notify_all();
      });
  std::this_thread::sleep_for(100ms);
  {
    std::lock_guard lock(told.mutex);
    EXPECT_EQ(told.calls, 0) << "nobody is told before the commit that holds the rows";
  }
  release = true;
  holder.join();
  {
    std::unique_lock lock(told.mutex);
    ASSERT_TRUE(told.changed.wait_for(lock, 10s, [&] { return told.calls == 21; }));
    EXPECT_EQ(told.failures, 1);
    EXPECT_NE(told.on, std::this_thread::get_id()) << "told on the writer's thread";
  }
  EXPECT_EQ(table.count(), 20) << "each row visible once its call is told; row 1000 undone";
}

// A call submitted just before the writer stops is still committed and told: nothing queued is
// dropped with the database.
TEST(GroupCommit, CallsStillQueuedWhenTheWriterStopsAreCommittedAndTold) {
  testing::TempDir dir;
  const std::string url = "sqlite:" + dir.file("stopping.db");
  std::atomic<int> told{0};
  {
    auto db = Database::open(url);
    {
      auto lease = db->session();
      *lease << "CREATE TABLE t (n INTEGER PRIMARY KEY)", now;
    }
    for (int i = 0; i < 100; ++i) {
      db->write_then(Table::inserting(i), [&told](std::exception_ptr failed) {
        if (!failed) ++told;
      });
    }
  }
  EXPECT_EQ(told.load(), 100);
  auto db = Database::open(url);
  auto lease = db->session();
  int rows = 0;
  *lease << "SELECT COUNT(*) FROM t", Poco::Data::Keywords::into(rows), now;
  EXPECT_EQ(rows, 100);
}

// A submitted call may hold the last reference to its own database (an answer made later keeps
// the runtime that owns it; a reload or a stop drops every other): the writer then lets go of it
// on its own thread, and the database must be taken down without the writer joining itself.
TEST(GroupCommit, ACallHoldingTheLastReferenceToItsDatabaseLetsItGoSafely) {
  testing::TempDir dir;
  const std::string url = "sqlite:" + dir.file("last.db");
  std::weak_ptr<Database> watch;
  std::atomic<bool> inside{false}, release{false};
  {
    auto db = Database::open(url);
    {
      auto lease = db->session();
      *lease << "CREATE TABLE t (n INTEGER PRIMARY KEY)", now;
    }
    watch = db;
    db->write_then(
        [&](Poco::Data::Session&) {
          inside = true;
          while (!release) std::this_thread::sleep_for(1ms);
        },
        [](std::exception_ptr) {});
    db->write_then(Table::inserting(1), [keep = db](std::exception_ptr) {});
    while (!inside) std::this_thread::sleep_for(1ms);
  }
  EXPECT_FALSE(watch.expired()) << "the queued call holds it";
  release = true;
  for (int i = 0; i < 1000 && !watch.expired(); ++i) std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(watch.expired()) << "let go once the call is done";
  auto db = Database::open(url);
  auto lease = db->session();
  int rows = 0;
  *lease << "SELECT COUNT(*) FROM t", Poco::Data::Keywords::into(rows), now;
  EXPECT_EQ(rows, 1);
}

// write_then() on SQLite returns before the commit (PostgreSQL, with no writer thread, commits on
// the caller's thread), and done() comes exactly once after it.
TEST(GroupCommit, WriteThenOnSqliteReturnsBeforeItsCommitAndIsToldAfter) {
  Table table;
  std::atomic<bool> inside{false}, release{false};
  auto holder = hold_the_writer(table, inside, release);
  while (!inside) std::this_thread::sleep_for(1ms);
  std::atomic<int> told{0};
  table.db->write_then(Table::inserting(7), [&told](std::exception_ptr failed) {
    if (!failed) ++told;
  });
  EXPECT_EQ(told.load(), 0) << "returned while the writer was busy";
  release = true;
  holder.join();
  for (int i = 0; i < 1000 && told.load() == 0; ++i) std::this_thread::sleep_for(5ms);
  EXPECT_EQ(told.load(), 1);
  EXPECT_EQ(table.count(), 1);
}

// At this scale batches form on their own, and none of 4,800 calls returns before the commit
// holding its row; the failing calls among them are undone alone.
TEST(GroupCommit, ManyCallersEachSeeTheirOwnRowOnReturn) {
  Table table;
  constexpr int kThreads = 32;
  constexpr int kEach = 150;
  std::atomic<int> unseen{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const int n = t * kEach + i;
        if (i % 50 == 49) {
          try {
            table.db->write([n](Poco::Data::Session& s) {
              int value = -1 - n;
              s << "INSERT INTO t (n) VALUES (?)", use(value), now;
              throw std::runtime_error("no");
            });
          } catch (const std::runtime_error&) {
            ++failed;
          }
        }
        table.insert(n);
        auto lease = table.db->session();
        int found = 0;
        int value = n;
        *lease << "SELECT COUNT(*) FROM t WHERE n = ?", use(value),
            Poco::Data::Keywords::into(found), now;
        if (found != 1) ++unseen;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(unseen.load(), 0) << "a call returned before its commit";
  EXPECT_EQ(failed.load(), kThreads * (kEach / 50));
  EXPECT_EQ(table.count(), kThreads * kEach) << "every row committed once, no failed one";
  const auto* writer = table.db->group_commit();
  EXPECT_EQ(writer->calls(), static_cast<std::size_t>(kThreads * kEach + kThreads * (kEach / 50)));
  EXPECT_LT(writer->transactions(), writer->calls()) << "concurrent calls shared commits";
}

// More callers queued than one transaction takes (512): they go out in several, one after the
// other, and each caller is woken by its own transaction's commit — not by an earlier one, whose
// wake reaches the callers sleeping on the same word (every other transaction's).
TEST(GroupCommit, CallersQueuedBeyondOneTransactionEachReturnAfterTheirOwnCommit) {
  Table table;
  std::atomic<bool> inside{false}, release{false};
  auto holder = hold_the_writer(table, inside, release);
  while (!inside) std::this_thread::sleep_for(1ms);
  const auto before = table.db->group_commit()->transactions();
  constexpr int kCallers = 1300;
  std::atomic<int> started{0}, unseen{0};
  std::vector<std::thread> writers;
  writers.reserve(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    writers.emplace_back([&, i] {
      ++started;
      table.insert(i);
      auto lease = table.db->session();
      int found = 0;
      int value = i;
      *lease << "SELECT COUNT(*) FROM t WHERE n = ?", use(value), Poco::Data::Keywords::into(found),
          now;
      if (found != 1) ++unseen;
    });
  }
  while (started < kCallers) std::this_thread::sleep_for(1ms);
  std::this_thread::sleep_for(300ms);  // every caller is queued behind the held call
  release = true;
  holder.join();
  for (auto& w : writers) w.join();
  EXPECT_EQ(unseen.load(), 0) << "a call returned before the commit holding its row";
  EXPECT_EQ(table.count(), kCallers);
  EXPECT_GE(table.db->group_commit()->transactions() - before, 4u)
      << "the held call's transaction, then at least three of at most 512 calls";
}

// SQLite's temporary files are unlinked as soon as they are made: an open descriptor is all
// that shows one.
int open_sqlite_temp_files() {
  int found = 0;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (!ec && target.find("etilqs_") != std::string::npos) ++found;
  }
  return found;
}

TEST(GroupCommit, ACallThatChangesManyPagesKeepsItsUndoInMemory) {
  testing::TempDir dir;
  auto db = Database::open("sqlite:" + dir.file("pages.db"));
  {
    auto lease = db->session();
    *lease << "CREATE TABLE t (n INTEGER PRIMARY KEY, body BLOB NOT NULL)", now;
  }
  // 400 rows of 2 KiB: about 200 pages, so one call that rewrites them all records far more
  // than the 64 KiB SQLite otherwise keeps in memory before it spills to a file.
  db->write([](Poco::Data::Session& s) {
    s << "WITH RECURSIVE k(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM k WHERE n < 400) "
         "INSERT INTO t SELECT n, zeroblob(2048) FROM k",
        now;
  });
  const auto rewrite_all = [](Poco::Data::Session& s) {
    s << "UPDATE t SET body = randomblob(2048)", now;
  };
  int during = -1;
  db->write([&](Poco::Data::Session& s) {
    rewrite_all(s);
    during = open_sqlite_temp_files();
  });
  EXPECT_EQ(during, 0) << "the savepoint's record of 200 changed pages stayed in memory";

  // The record in memory still undoes a call that fails after changing every page.
  EXPECT_THROW(db->write([&](Poco::Data::Session& s) {
    s << "UPDATE t SET body = zeroblob(2048)", now;
    throw std::runtime_error("refused");
  }),
               std::runtime_error);
  auto lease = db->session();
  int zeroed = -1;
  *lease << "SELECT COUNT(*) FROM t WHERE body = zeroblob(2048)",
      Poco::Data::Keywords::into(zeroed), now;
  EXPECT_EQ(zeroed, 0) << "the failed call's changes were undone";
}

TEST(GroupCommit, AWriteSurvivesTheDatabaseBeingReopened) {
  testing::TempDir dir;
  {
    auto db = Database::open("sqlite:" + dir.file("d.db"));
    auto lease = db->session();
    *lease << "CREATE TABLE t (n INTEGER PRIMARY KEY)", now;
    db->write([](Poco::Data::Session& s) { s << "INSERT INTO t (n) VALUES (7)", now; });
  }
  auto db = Database::open("sqlite:" + dir.file("d.db"));
  auto lease = db->session();
  int n = 0;
  *lease << "SELECT n FROM t", Poco::Data::Keywords::into(n), now;
  EXPECT_EQ(n, 7);
}

std::uintmax_t log_size(const Table& table) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(table.dir.file("numbers.db-wal"), ec);
  return ec ? 0 : size;
}

int writers_busy_timeout(Table& table) {
  int ms = -1;
  table.db->write([&](Poco::Data::Session& s) {
    s << "PRAGMA busy_timeout", Poco::Data::Keywords::into(ms), now;
  });
  return ms;
}

TEST(GroupCommit, TruncatingTheLogCopiesEveryPageInAndCutsTheLogToNothing) {
  Table table;
  const int timeout = writers_busy_timeout(table);
  for (int i = 0; i < 100; ++i) table.insert(i);
  ASSERT_GT(log_size(table), 0u) << "the rows are in the log first";
  EXPECT_TRUE(table.db->truncate_log());
  EXPECT_EQ(log_size(table), 0u);
  EXPECT_EQ(table.count(), 100);
  table.insert(100);
  EXPECT_EQ(table.count(), 101) << "writes go on after it";
  EXPECT_EQ(writers_busy_timeout(table), timeout) << "the writer waits for other writers again";
}

// The writer gives up at once instead of waiting (with every write behind it) for a reader
// that still reads an older snapshot out of the log; once the reader is done, it succeeds.
TEST(GroupCommit, ALogAReaderStillUsesIsLeftForLaterWithoutHoldingWritesBack) {
  Table table;
  table.insert(1);
  auto reader = table.db->session();
  int seen = 0;
  *reader << "BEGIN", now;
  *reader << "SELECT COUNT(*) FROM t", Poco::Data::Keywords::into(seen), now;
  ASSERT_EQ(seen, 1);
  table.insert(2);  // past the reader's snapshot

  const auto started = std::chrono::steady_clock::now();
  EXPECT_FALSE(table.db->truncate_log());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s)
      << "not the writer's 10 s wait for a lock";
  table.insert(3);
  EXPECT_EQ(table.count(), 3);

  *reader << "COMMIT", now;
  EXPECT_TRUE(table.db->truncate_log());
  EXPECT_EQ(log_size(table), 0u);
}

// Rows holding @p secret, written then erased (their bodies emptied) through the writer.
void write_and_erase(Database& db, const std::string& secret) {
  for (int i = 0; i < 50; ++i) {
    db.write([&](Poco::Data::Session& s) {
      std::string body = secret + std::string(2000, 'x');
      s << "INSERT INTO bodies (body) VALUES (?)", use(body), now;
    });
  }
  db.write([](Poco::Data::Session& s) { s << "UPDATE bodies SET body = ''", now; });
}

TEST(GroupCommit, ScrubbingZeroesWhatWasErasedOnceTheLogStartsOverWithoutCuttingIt) {
  use_batched_wal_writes();
  testing::TempDir dir;
  // A checkpoint every 32 frames, so that under these writes the log starts over often.
  auto db = Database::open("sqlite:" + dir.file("scrubbed.db"), 8, 32);
  {
    auto lease = db->session();
    *lease << "CREATE TABLE bodies (n INTEGER PRIMARY KEY, body TEXT NOT NULL)", now;
  }
  const std::string secret = "erased-body-7d41b2";
  write_and_erase(*db, secret);
  ASSERT_TRUE(testing::any_file_holds(dir.path(), secret))
      << "the log still holds the erased bodies";

  using Scrub = GroupCommit::Scrub;
  using By = Scrub::By;
  EXPECT_EQ(db->scrub_log(true, 60s), (Scrub{By::nothing, true})) << "nothing before a restart";
  Scrub scrub{By::nothing, true};
  for (int i = 0; i < 20'000 && scrub.pending; ++i) {
    db->write(
        [](Poco::Data::Session& s) { s << "INSERT INTO bodies (body) VALUES ('filler')", now; });
    if (i % 50 == 49) scrub = db->scrub_log(false, 60s);
  }
  EXPECT_EQ(scrub, (Scrub{By::zeroing, false}));
  EXPECT_GT(std::filesystem::file_size(dir.file("scrubbed.db-wal")), 0u) << "the log was not cut";
  EXPECT_FALSE(testing::any_file_holds(dir.path(), secret));
  auto lease = db->session();
  std::string integrity;
  *lease << "PRAGMA integrity_check", Poco::Data::Keywords::into(integrity), now;
  EXPECT_EQ(integrity, "ok");
}

// Under load rows are erased between any two calls, so some frames always wait for the next
// restart; each call still says when what an earlier one asked for is gone.
TEST(GroupCommit, ScrubbingUnderErasuresThatNeverStopStillFinishesWhatEachCallAskedFor) {
  use_batched_wal_writes();
  testing::TempDir dir;
  auto db = Database::open("sqlite:" + dir.file("busy.db"), 8, 32);
  {
    auto lease = db->session();
    *lease << "CREATE TABLE bodies (n INTEGER PRIMARY KEY, body TEXT NOT NULL)", now;
  }
  using By = GroupCommit::Scrub::By;
  int zeroed = 0;
  for (int i = 0; i < 20'000 && zeroed < 3; ++i) {
    db->write([](Poco::Data::Session& s) {
      s << "INSERT INTO bodies (body) VALUES ('erased soon')", now;
      s << "UPDATE bodies SET body = '' WHERE n = last_insert_rowid()", now;
    });
    if (i % 50 == 49) {
      const auto scrub = db->scrub_log(true, 60s);
      EXPECT_TRUE(scrub.pending) << "this call's own erasures wait for the next restart";
      EXPECT_NE(scrub.finished, By::truncation);
      zeroed += scrub.finished == By::zeroing ? 1 : 0;
    }
  }
  EXPECT_EQ(zeroed, 3);
}

// An idle log never starts over: after the patience, the writer cuts it instead.
TEST(GroupCommit, ScrubbingAnIdleLogCutsItOnceThePatienceRunsOut) {
  use_batched_wal_writes();
  testing::TempDir dir;
  auto db = Database::open("sqlite:" + dir.file("idle.db"));
  {
    auto lease = db->session();
    *lease << "CREATE TABLE bodies (n INTEGER PRIMARY KEY, body TEXT NOT NULL)", now;
  }
  const std::string secret = "erased-body-idle-52e0";
  write_and_erase(*db, secret);
  using Scrub = GroupCommit::Scrub;
  using By = Scrub::By;
  EXPECT_EQ(db->scrub_log(true, 2s), (Scrub{By::nothing, true}));
  EXPECT_EQ(db->scrub_log(false, 2s), (Scrub{By::nothing, true})) << "patience not run out";
  std::this_thread::sleep_for(2100ms);
  EXPECT_EQ(db->scrub_log(false, 2s), (Scrub{By::truncation, false}));
  EXPECT_EQ(std::filesystem::file_size(dir.file("idle.db-wal")), 0u);
  EXPECT_FALSE(testing::any_file_holds(dir.path(), secret));
  EXPECT_EQ(db->scrub_log(false, 2s), (Scrub{By::nothing, false})) << "nothing more erased";
}

}  // namespace
}  // namespace linkgate::sql
