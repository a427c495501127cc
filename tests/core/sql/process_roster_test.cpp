#include "sql/process_roster.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <stdexcept>

#include "support/temp_dir.h"

namespace linkgate::sql {
namespace {

TEST(ProcessRoster, EachMemberSeesTheOthersAndNotItself) {
  linkgate::testing::TempDir dir;
  const auto file = ProcessRoster::file_for(dir.file("core.db"));
  EXPECT_EQ(file, dir.file("core.db") + "-writers");
  ProcessRoster first(file);
  EXPECT_FALSE(first.others_present());
  {
    ProcessRoster second(file);
    EXPECT_TRUE(first.others_present());
    EXPECT_TRUE(second.others_present());
  }
  EXPECT_FALSE(first.others_present()) << "the second left";
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

// What it is for: another process, whose membership ends however the process does.
TEST(ProcessRoster, AnotherProcessIsSeenUntilItDies) {
  linkgate::testing::TempDir dir;
  const auto file = ProcessRoster::file_for(dir.file("core.db"));
  ProcessRoster mine(file);
  int joined[2];
  ASSERT_EQ(::pipe(joined), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(joined[0]);
    std::optional<ProcessRoster> theirs;
    try {
      theirs.emplace(file);
    } catch (...) {
      ::_exit(1);
    }
    char ready = 1;
    if (::write(joined[1], &ready, 1) != 1) ::_exit(1);
    ::pause();  // until killed: the kernel lets go of the lock
    ::_exit(0);
  }
  ::close(joined[1]);
  char ready = 0;
  ASSERT_EQ(::read(joined[0], &ready, 1), 1);
  ::close(joined[0]);
  EXPECT_TRUE(mine.others_present());
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_FALSE(mine.others_present());
}

TEST(ProcessRoster, AFileThatCannotBeOpenedIsAnError) {
  linkgate::testing::TempDir dir;
  ASSERT_EQ(::symlink("/etc/passwd", dir.file("link").c_str()), 0);
  EXPECT_THROW(ProcessRoster(dir.file("link")), std::runtime_error) << "never through a link";
  EXPECT_THROW(ProcessRoster(dir.file("missing/core.db-writers")), std::runtime_error);
}

}  // namespace
}  // namespace linkgate::sql
