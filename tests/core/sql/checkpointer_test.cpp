// The SQLite log is checkpointed by a thread of its own (sql/checkpointer.h), not inside the
// group-commit writer's COMMIT: the log is copied into the database file all the same, and under
// writes that never pause it still stays within a bound.
#include "sql/checkpointer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "sql/database.h"
#include "support/temp_dir.h"

namespace linkgate::sql {
namespace {

using namespace std::chrono_literals;
using Poco::Data::Keywords::now;
using Poco::Data::Keywords::use;

constexpr std::size_t kPage = 4096;
// SQLite's own threshold rather than the server's (kCheckpointFrames): the bounds below hold
// for any threshold, and at this one the test writes a quarter as much.
constexpr int kThreshold = 1000;

struct Blobs {
  testing::TempDir dir;
  std::string path = dir.file("c.db");
  std::shared_ptr<Database> db;
  int next = 0;
  // nullopt: Database::open's default, as every database of the server has it.
  explicit Blobs(std::optional<int> threshold = kThreshold)
      : db(threshold ? Database::open("sqlite:" + path, 8, *threshold)
                     : Database::open("sqlite:" + path)) {
    auto lease = db->session();
    *lease << "CREATE TABLE b (n INTEGER PRIMARY KEY, v BLOB)", now;
  }
  // @p rows rows of about a page each, in one transaction; rows older than @p keep are deleted,
  // so the table stays the same size while the log keeps being written.
  void write(int rows, int keep = 1 << 30) {
    const int first = next;
    next += rows;
    db->write([&](Poco::Data::Session& s) {
      for (int n = first; n < first + rows; ++n) {
        int key = n;
        std::string value(3000, static_cast<char>('a' + n % 26));
        s << "INSERT INTO b (n, v) VALUES (?, ?)", use(key), use(value), now;
      }
      int oldest = next - keep;
      s << "DELETE FROM b WHERE n < ?", use(oldest), now;
    });
  }
  std::uintmax_t size_of(const std::string& file) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(file, ec);
    return ec ? 0 : size;
  }
};

TEST(Checkpointer, TheLogIsCopiedIntoTheDatabaseFileByItsOwnThread) {
  Blobs blobs;
  ASSERT_NE(blobs.db->checkpointer(), nullptr);
  EXPECT_LT(blobs.size_of(blobs.path), 100 * kPage);
  for (int i = 0; i < 150; ++i)
    blobs.write(10);  // ~1,500 pages in ~1,800 frames: past the threshold
  // A checkpoint copies the frames the log holds when it starts: at least the threshold's 1,000
  // (about 12 frames per commit, 10 of them new rows' pages, so 800 pages and more), and all
  // 1,500 pages only when the thread ran after the last commit — which a busy machine can delay
  // either way, so only the first is asserted. Copying and syncing took seconds in a CI run
  // beside a build. The file grows while the pages are copied, before the checkpoint is counted
  // as done: both are waited for.
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (
      (blobs.size_of(blobs.path) < 800 * kPage || blobs.db->checkpointer()->checkpoints() == 0) &&
      std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GE(blobs.size_of(blobs.path), 800 * kPage) << "the rows reached the database file";
  EXPECT_GE(blobs.db->checkpointer()->checkpoints(), 1u);
  EXPECT_EQ(blobs.db->checkpointer()->checkpoints_on_the_writer(), 0u)
      << "writes that pause leave the writer's commits without a checkpoint";
}

TEST(Checkpointer, TheServersDatabasesCheckpointPastKCheckpointFrames) {
  Blobs blobs(std::nullopt);
  static_assert(kCheckpointFrames == 4000);
  for (int i = 0; i < 150; ++i) blobs.write(10);  // ~1,500 pages: past SQLite's 1,000 only
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(blobs.db->checkpointer()->checkpoints(), 0u) << "a 1,500-frame log is left alone";
  for (int i = 0; i < 300; ++i) blobs.write(10);  // ~4,500 pages in all
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (blobs.db->checkpointer()->checkpoints() == 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GE(blobs.db->checkpointer()->checkpoints(), 1u) << "past 4,000 frames it is copied";
}

TEST(Checkpointer, UnderWritesThatNeverPauseTheLogStaysBounded) {
  Blobs blobs;
  std::uintmax_t largest = 0;
  for (int i = 0; i < 1000; ++i) {  // ~20,000 pages of log, back to back
    blobs.write(20, 400);
    largest = std::max(largest, blobs.size_of(blobs.path + "-wal"));
  }
  // kBehind (4) thresholds of 1,000 frames, a few batches past it, and each frame's header;
  // without the writer's own checkpoint it would reach ~50,000 frames.
  static_assert(Checkpointer::kBehind == 4);
  const std::uintmax_t bound = (Checkpointer::kBehind * kThreshold + 500) * (kPage + 24);
  EXPECT_LE(largest, bound) << "largest log " << largest;
  EXPECT_GE(blobs.db->checkpointer()->checkpoints() +
                blobs.db->checkpointer()->checkpoints_on_the_writer(),
            4u);
  auto lease = blobs.db->session();
  int rows = 0;
  *lease << "SELECT COUNT(*) FROM b", Poco::Data::Keywords::into(rows), now;
  EXPECT_EQ(rows, 400);
}

}  // namespace
}  // namespace linkgate::sql
