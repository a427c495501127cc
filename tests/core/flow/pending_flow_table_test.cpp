#include "flow/pending_flow_table.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "util/crypto.h"

namespace linkgate::flow {
namespace {

// A keyed hash whose tag (its first 32 bits) is the identifier's own number plus one, so no two
// identifiers of a test share one unless it wants them to.
std::string key_of(int identifier) {
  char tag[9];
  std::snprintf(tag, sizeof tag, "%08x", identifier + 1);
  return tag + util::to_hex(util::sha256("identifier:" + std::to_string(identifier))).substr(8);
}

std::vector<std::int64_t> found(const PendingFlowTable& table, const std::string& key,
                                std::int64_t now) {
  std::vector<std::int64_t> out;
  table.find(key, now, out);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(PendingFlowTable, FindsAnIdentifiersUnexpiredFlowsAndNoOneElses) {
  PendingFlowTable table;
  table.add(key_of(1), 10, 2000);
  table.add(key_of(2), 11, 2000);
  table.add(key_of(1), 12, 1500);
  table.add(key_of(1), 13, 3000);
  EXPECT_EQ(found(table, key_of(1), 1000), (std::vector<std::int64_t>{10, 12, 13}));
  EXPECT_EQ(found(table, key_of(1), 1500), (std::vector<std::int64_t>{10, 13}));
  EXPECT_EQ(found(table, key_of(2), 1000), (std::vector<std::int64_t>{11}));
  EXPECT_TRUE(found(table, key_of(3), 1000).empty());
  table.forget(key_of(1), {10, 11});  // 11 is another identifier's: kept
  EXPECT_EQ(found(table, key_of(1), 1000), (std::vector<std::int64_t>{12, 13}));
  EXPECT_EQ(found(table, key_of(2), 1000), (std::vector<std::int64_t>{11}));
  EXPECT_EQ(table.size(), 3u);
}

// Identifiers whose hashes share a tag find each other's flows (the store's statement then
// refuses them by the whole hash), and lose only the ones named to forget.
TEST(PendingFlowTable, IdentifiersSharingATagFindEachOthersFlows) {
  PendingFlowTable table;
  const std::string one = "0000abcd" + std::string(56, '1');
  const std::string other = "0000abcd" + std::string(56, '2');
  table.add(one, 1, 2000);
  table.add(other, 2, 2000);
  EXPECT_EQ(found(table, one, 1000), (std::vector<std::int64_t>{1, 2}));
  table.forget(one, {1});
  EXPECT_EQ(found(table, other, 1000), (std::vector<std::int64_t>{2}));
}

TEST(PendingFlowTable, KeysThatAreNoKeyedHashWorkToo) {
  PendingFlowTable table;
  table.add("key:a@example.com", 1, 2000);
  table.add("key:b@example.com", 2, 2000);
  table.add("", 3, 2000);
  EXPECT_EQ(found(table, "key:a@example.com", 1000), (std::vector<std::int64_t>{1}));
  EXPECT_EQ(found(table, "", 1000), (std::vector<std::int64_t>{3}));
}

TEST(PendingFlowTable, PruneDropsTheExpiredAndShrinks) {
  PendingFlowTable table;
  for (int i = 0; i < 100000; ++i) table.add(key_of(i), i, i < 99000 ? 1000 : 5000);
  const auto full = table.bytes();
  table.prune(1000);
  EXPECT_EQ(table.size(), 1000u);
  EXPECT_LT(table.bytes(), full / 32);
  for (int i = 98990; i < 99010; ++i) {
    EXPECT_EQ(found(table, key_of(i), 0).size(), i < 99000 ? 0u : 1u) << i;
  }
}

// Against a plain model, through growth, many entries per identifier and deletions in every
// position of the table's runs (each erase moves entries back into the hole).
TEST(PendingFlowTable, AgreesWithAPlainMapThroughAddsForgetsAndPrunes) {
  PendingFlowTable table;
  std::map<int, std::map<std::int64_t, std::int64_t>> model;  // identifier → rowid → expiry
  std::mt19937_64 random(42);
  std::int64_t next_rowid = 1;
  for (int round = 0; round < 200000; ++round) {
    const int identifier = static_cast<int>(random() % 5000);
    const int what = static_cast<int>(random() % 10);
    if (what < 6) {
      const std::int64_t expires = 1000 + static_cast<std::int64_t>(random() % 1000);
      table.add(key_of(identifier), next_rowid, expires);
      model[identifier][next_rowid++] = expires;
    } else if (what < 9) {
      std::vector<std::int64_t> gone;
      for (const auto& [rowid, expires] : model[identifier]) {
        if (random() % 2 == 0) gone.push_back(rowid);
      }
      table.forget(key_of(identifier), gone);
      for (auto rowid : gone) model[identifier].erase(rowid);
    } else if (round % 1000 == 0) {
      const std::int64_t now = 1000 + round / 400;
      table.prune(now);
      for (auto& [id, flows] : model)
        std::erase_if(flows, [&](auto& f) { return f.second <= now; });
    }
  }
  std::size_t entries = 0;
  for (const auto& [identifier, flows] : model) {
    entries += flows.size();
    std::vector<std::int64_t> expected;
    for (const auto& [rowid, expires] : flows) {
      if (expires > 1200) expected.push_back(rowid);
    }
    ASSERT_EQ(found(table, key_of(identifier), 1200), expected) << identifier;
  }
  EXPECT_EQ(table.size(), entries);
}

}  // namespace
}  // namespace linkgate::flow
