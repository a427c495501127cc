#include "util/unique_ids.h"

#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "util/base64url.h"
#include "util/crypto.h"

namespace linkgate::util {
namespace {

TEST(TimeOrderedId, AnIdFromALaterMillisecondSortsAfterByteByByte) {
  const std::string earlier = time_ordered_id(random_bytes(16));
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  const std::string later = time_ordered_id(random_bytes(16));
  EXPECT_LT(earlier.compare(later), 0) << earlier << " then " << later;
  EXPECT_LT(earlier.substr(0, 12), later.substr(0, 12)) << "the clock part alone orders them";
}

TEST(TimeOrderedId, IsTheMillisecondsInHexThenTheRandomBytesWhole) {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const std::string random = random_bytes(16);
  const std::string id = time_ordered_id(random);
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  ASSERT_EQ(id.size(), 12u + base64url_encode(random).size());
  EXPECT_EQ(id.substr(0, 12).find_first_not_of("0123456789abcdef"), std::string::npos) << id;
  const long long ms = std::stoll(id.substr(0, 12), nullptr, 16);
  EXPECT_GE(ms, before);
  EXPECT_LE(ms, after);
  EXPECT_EQ(id.substr(12), base64url_encode(random)) << "the random part is all there";
}

TEST(TimeOrderedId, IdsMadeInTheSameMillisecondDifferByTheirRandomPart) {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) ids.insert(time_ordered_id(random_bytes(12)));
  EXPECT_EQ(ids.size(), 10000u);
}

}  // namespace
}  // namespace linkgate::util
