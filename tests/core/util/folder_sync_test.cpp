// Files written for a folder sync are durable once wait_durable() returns: each waiter is held
// by a sync that began after its call, and concurrent waiters share syncs.
#include "util/folder_sync.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/temp_dir.h"
#include "util/files.h"

namespace linkgate::util {
namespace {

TEST(FolderSync, EachWaitIsHeldByASyncThatBeganAfterIt) {
  testing::TempDir dir;
  FolderSync sync(dir.path().string());
  for (int i = 0; i < 3; ++i) {
    const auto before = sync.syncs();
    ASSERT_EQ(write_file_for_folder_sync(dir.file("m" + std::to_string(i) + ".json"), "x"), "");
    ASSERT_EQ(sync.wait_durable(), "");
    EXPECT_EQ(sync.syncs(), before + 1) << "a lone waiter runs one sync of its own";
  }
}

TEST(FolderSync, ConcurrentWritersShareSyncsAndEveryFileIsWhole) {
  testing::TempDir dir;
  FolderSync sync(dir.path().string());
  constexpr int kThreads = 32;
  constexpr int kEach = 10;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const auto name = std::to_string(t) + "-" + std::to_string(i);
        auto error = write_file_for_folder_sync(dir.file(name + ".json"), "message " + name);
        if (error.empty()) error = sync.wait_durable();
        if (!error.empty()) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_LT(sync.syncs(), static_cast<std::uint64_t>(kThreads * kEach)) << "syncs were shared";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    const auto name = entry.path().stem().string();
    EXPECT_EQ(read_file(entry.path().string()), "message " + name) << "no temp file left over";
    ++files;
  }
  EXPECT_EQ(files, kThreads * kEach);
}

TEST(FolderSync, AFileIsWrittenPrivateAndAWriteAgainReplacesIt) {
  testing::TempDir dir;
  FolderSync sync(dir.path().string());
  const auto file = dir.file("m.json");
  ASSERT_EQ(write_file_for_folder_sync(file, "first"), "");
  EXPECT_EQ(read_file(file), "first");
  EXPECT_EQ(std::filesystem::status(file).permissions(),
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  ASSERT_EQ(write_file_for_folder_sync(file, "second, longer"), "") << "a message sent again";
  ASSERT_EQ(sync.wait_durable(), "");
  EXPECT_EQ(read_file(file), "second, longer");
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 1) << "no temporary name left behind";
}

TEST(FolderSync, AFileHasNoNameUntilItIsWhole) {
  // What a process killed mid-write would leave is whatever has a name while the write is under
  // way: a watcher lists the folder for as long as a 32 MiB file is being written. On a busy
  // machine the watcher may not run during one write, so files are written (each under a name
  // of its own) until it has looked twice during one of them.
  testing::TempDir dir;
  const std::string content(32u << 20, 'x');
  std::atomic<bool> done{false};
  std::atomic<int> other_names{0}, partial{0}, looks{0};
  std::thread watcher([&] {
    while (!done) {
      std::error_code ec;
      for (std::filesystem::directory_iterator it(dir.path(), ec), end; !ec && it != end;
           it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (name.size() != 7 || name.rfind("m", 0) != 0 || name.substr(2) != ".json") {
          ++other_names;
        } else if (std::filesystem::file_size(it->path(), ec) != content.size() && !ec) {
          ++partial;
        }
      }
      ++looks;
    }
  });
  int looked_during_a_write = 0;
  for (int file = 0; file < 10 && looked_during_a_write < 2; ++file) {
    const int before = looks.load();
    ASSERT_EQ(write_file_for_folder_sync(dir.file("m" + std::to_string(file) + ".json"), content),
              "");
    // A look that ended during the write and the one after it: the second began during it.
    looked_during_a_write = looks.load() - before;
  }
  done = true;
  watcher.join();
  EXPECT_GE(looked_during_a_write, 2) << "the watcher looked while a file was written";
  EXPECT_EQ(other_names.load(), 0) << "no temporary name";
  EXPECT_EQ(partial.load(), 0) << "never a partial file under its name";
  EXPECT_EQ(std::filesystem::file_size(dir.file("m0.json")), content.size());
}

// Where the kernel lets a process name an unnamed file by its descriptor (Linux 6.10 on, or
// CAP_DAC_READ_SEARCH) that is the way; elsewhere it is /proc/self/fd/N. Both give whole,
// private files under their names and nothing else in the folder.
TEST(FolderSync, AFileIsNamedTheSameByItsDescriptorOrByItsProcPath) {
  testing::TempDir dir;
  FolderSync sync(dir.path().string());
  for (const bool proc_path_only : {false, true, false}) {
    link_unnamed_files_by_proc_path_only(proc_path_only);
    for (int i = 0; i < 20; ++i) {
      const auto name = dir.file((proc_path_only ? "p" : "d") + std::to_string(i) + ".json");
      ASSERT_EQ(write_file_for_folder_sync(name, "message " + std::to_string(i)), "");
      EXPECT_EQ(read_file(name), "message " + std::to_string(i));
      EXPECT_EQ(std::filesystem::status(name).permissions(),
                std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
    ASSERT_EQ(write_file_for_folder_sync(dir.file("d0.json"), "again"), "")
        << "a name already there is replaced";
    EXPECT_EQ(read_file(dir.file("d0.json")), "again");
  }
  link_unnamed_files_by_proc_path_only(false);
  EXPECT_EQ(sync.wait_durable(), "");
  int entries = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++entries;
  }
  EXPECT_EQ(entries, 40) << "twenty files each way and nothing else";
}

TEST(FolderSync, AMissingFolderIsMadeForAFile) {
  testing::TempDir dir;
  const auto folder = dir.file("outbox");  // never made, or removed since its channel started
  ASSERT_EQ(write_file_for_folder_sync(folder + "/m.json", "x"), "");
  EXPECT_EQ(read_file(folder + "/m.json"), "x");
}

TEST(FolderSync, AFolderThatIsNowAFileIsAnErrorNotACrash) {
  testing::TempDir dir;
  const auto folder = dir.file("outbox");
  std::filesystem::create_directories(folder);
  FolderSync sync(folder);
  std::filesystem::remove_all(folder);
  std::ofstream(folder) << "in the way";
  const auto error = write_file_for_folder_sync(folder + "/m.json", "x");
  EXPECT_NE(error.find("cannot create"), std::string::npos) << error;
}

TEST(FolderSync, AMissingFolderIsRefusedAtOnce) {
  testing::TempDir dir;
  EXPECT_THROW(FolderSync(dir.file("nowhere")), std::runtime_error);
}

}  // namespace
}  // namespace linkgate::util
