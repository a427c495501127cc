#pragma once
/// @file
/// The conformance suite every user store should pass. Instantiate it once, in one test file:
/// @code
///   using linkgate::testkit::UserStoreCase;
///   using linkgate::testkit::UserStoreConformance;
///   UserStoreCase my_case();  // yours: makes the store under test
///   INSTANTIATE_TEST_SUITE_P(Mine, UserStoreConformance, ::testing::Values(my_case()),
///                            linkgate::testkit::case_name<UserStoreCase>);
/// @endcode

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "linkgate/sdk/user_store.h"
#include "linkgate/testkit/case_name.h"
#include "linkgate/testkit/test_host.h"

namespace linkgate::testkit {

struct UserStoreCase {
  std::string name;  ///< Letters, digits and underscores (it names the tests).
  /// Makes the store, empty except for @p existing (once per test).
  std::function<std::shared_ptr<sdk::UserStore>(TestHost& host)> make;
  /// A read-only store answers create() with ErrorCode::unsupported.
  bool read_only = false;
  /// Users the store holds from the start (required for a read-only store; one e-mail and one
  /// phone identifier).
  std::vector<sdk::Identifier> existing;
};
/// Prints the case by its name in test output.
inline void PrintTo(const UserStoreCase& c, std::ostream* os) {
  *os << c.name;
}

class UserStoreConformance : public ::testing::TestWithParam<UserStoreCase> {
 protected:
  sdk::Result<sdk::User> make_user(sdk::UserStore& store, const sdk::Identifier& id) {
    if (GetParam().read_only) return store.find(id);
    return store.create(id);
  }
  sdk::Identifier email() const {
    for (const auto& id : GetParam().existing)
      if (id.kind == sdk::AddressKind::email && GetParam().read_only) return id;
    return {sdk::AddressKind::email, "conformance@example.com"};
  }
  sdk::Identifier phone() const {
    for (const auto& id : GetParam().existing)
      if (id.kind == sdk::AddressKind::phone && GetParam().read_only) return id;
    return {sdk::AddressKind::phone, "+14155550100"};
  }
};

TEST_P(UserStoreConformance, CreatesThenFindsAndGetsTheSameUser) {
  TestHost host;
  auto store = GetParam().make(host);
  ASSERT_TRUE(store->ready().ok()) << store->ready().error().message;
  for (const auto& id : {email(), phone()}) {
    auto made = make_user(*store, id);
    ASSERT_TRUE(made.ok()) << made.error().message;
    EXPECT_FALSE(made->id.empty());
    EXPECT_EQ(id.kind == sdk::AddressKind::email ? made->email : made->phone, id.value);
    auto found = store->find(id);
    ASSERT_TRUE(found.ok()) << found.error().message;
    EXPECT_EQ(found->id, made->id);
    auto got = store->get(made->id);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->id, made->id);
  }
}

TEST_P(UserStoreConformance, UnknownUsersAreNotFound) {
  TestHost host;
  auto store = GetParam().make(host);
  auto found = store->find({sdk::AddressKind::email, "nobody-at-all@example.com"});
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.code(), sdk::ErrorCode::not_found);
  auto got = store->get("no-such-user-id");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.code(), sdk::ErrorCode::not_found);
}

TEST_P(UserStoreConformance, LooksUpTheExactNormalisedValueOfTheRightKind) {
  TestHost host;
  auto store = GetParam().make(host);
  const auto id = email();
  ASSERT_TRUE(make_user(*store, id).ok());
  // The host normalises; the store must not match anything else.
  EXPECT_EQ(store->find({sdk::AddressKind::email, "x" + id.value}).code(),
            sdk::ErrorCode::not_found);
  EXPECT_EQ(store->find({sdk::AddressKind::phone, id.value}).code(), sdk::ErrorCode::not_found);
}

TEST_P(UserStoreConformance, CreateIsRefusedOnlyByAReadOnlyStore) {
  TestHost host;
  auto store = GetParam().make(host);
  auto made = store->create({sdk::AddressKind::email, "brand-new@example.com"});
  if (GetParam().read_only) {
    ASSERT_FALSE(made.ok());
    EXPECT_EQ(made.code(), sdk::ErrorCode::unsupported);
    EXPECT_EQ(store->find({sdk::AddressKind::email, "brand-new@example.com"}).code(),
              sdk::ErrorCode::not_found);
    return;
  }
  ASSERT_TRUE(made.ok()) << made.error().message;
  auto again = store->create({sdk::AddressKind::email, "brand-new@example.com"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, made->id) << "create returns the existing user";
}

TEST_P(UserStoreConformance, ConcurrentCreatesOfOneIdentifierYieldOneUser) {
  if (GetParam().read_only) GTEST_SKIP() << "a read-only store creates nobody";
  TestHost host;
  auto store = GetParam().make(host);
  std::mutex mutex;
  std::set<std::string> ids;
  int failures = 0;
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      auto made = store->create({sdk::AddressKind::email, "race@example.com"});
      std::lock_guard lock(mutex);
      if (made.ok()) {
        ids.insert(made->id);
      } else {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(ids.size(), 1u);
}

}  // namespace linkgate::testkit
