// The testkit's TestHost, as plugin authors' tests use it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "linkgate/testkit/test_host.h"

namespace {

namespace fs = std::filesystem;
using linkgate::testkit::TestHost;

TEST(TestHost, TheScratchFolderIsOneFolderGoneWithTheHostAndWhatItHolds) {
  fs::path scratch;
  {
    TestHost host;
    scratch = host.scratch_directory();
    EXPECT_TRUE(fs::is_directory(scratch));
    EXPECT_TRUE(fs::is_empty(scratch));
    EXPECT_EQ(host.scratch_directory(), scratch);
    EXPECT_EQ(scratch.parent_path(), fs::temp_directory_path());
    fs::create_directories(scratch / "keys");
    std::ofstream(scratch / "keys" / "link.pem") << "not a key";
  }
  EXPECT_FALSE(fs::exists(scratch));
}

TEST(TestHost, EachHostHasAFolderOfItsOwn) {
  TestHost one;
  TestHost two;
  EXPECT_NE(one.scratch_directory(), two.scratch_directory());
}

}  // namespace
