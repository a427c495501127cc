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

#include <algorithm>
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

// A read-only store: every one of the concurrent creates is refused alike, and nobody appears.
TEST_P(UserStoreConformance, ConcurrentCreatesOfOneIdentifierYieldOneUser) {
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
  if (GetParam().read_only) {
    EXPECT_EQ(failures, 16);
    EXPECT_TRUE(ids.empty());
    EXPECT_EQ(store->find({sdk::AddressKind::email, "race@example.com"}).code(),
              sdk::ErrorCode::not_found);
    return;
  }
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(ids.size(), 1u);
}

// ---- the operator's methods: optional (ErrorCode::unsupported), but right when offered ----

TEST_P(UserStoreConformance, ListingPagesThroughEveryUserOnceInIdOrder) {
  TestHost host;
  auto store = GetParam().make(host);
  std::set<std::string> made;
  if (GetParam().read_only) {
    for (const auto& id : GetParam().existing) made.insert(store->find(id)->id);
  } else {
    for (int i = 0; i < 5; ++i) {
      auto user =
          store->create({sdk::AddressKind::email, "page" + std::to_string(i) + "@x.example"});
      ASSERT_TRUE(user.ok()) << user.error().message;
      made.insert(user->id);
    }
  }
  auto first = store->list("", 2);
  if (!first.ok()) {
    EXPECT_EQ(first.code(), sdk::ErrorCode::unsupported) << first.error().message;
    return;
  }
  std::vector<std::string> seen;
  std::string after;
  for (int page = 0; page < 100; ++page) {
    auto listed = store->list(after, 2);
    ASSERT_TRUE(listed.ok()) << listed.error().message;
    EXPECT_LE(listed->users.size(), 2u);
    for (const auto& user : listed->users) seen.push_back(user.id);
    if (listed->next_after.empty()) break;
    ASSERT_GT(listed->next_after, after) << "a page must move on";
    after = listed->next_after;
  }
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), seen.size()) << "no repeats";
  for (const auto& id : made)
    EXPECT_NE(std::find(seen.begin(), seen.end(), id), seen.end()) << id << " not listed";
}

TEST_P(UserStoreConformance, ADisabledUserIsStillFoundAndMarkedUntilEnabledAgain) {
  TestHost host;
  auto store = GetParam().make(host);
  const auto user = make_user(*store, email());
  ASSERT_TRUE(user.ok()) << user.error().message;
  EXPECT_FALSE(user->disabled);
  auto disabled = store->set_disabled(user->id, true);
  if (GetParam().read_only || disabled.code() == sdk::ErrorCode::unsupported) {
    ASSERT_FALSE(disabled.ok());
    EXPECT_EQ(disabled.code(), sdk::ErrorCode::unsupported);
    EXPECT_FALSE(store->get(user->id)->disabled) << "a refused change changes nothing";
    return;
  }
  ASSERT_TRUE(disabled.ok()) << disabled.error().message;
  EXPECT_TRUE(store->find(email())->disabled);
  EXPECT_TRUE(store->get(user->id)->disabled);
  ASSERT_TRUE(store->set_disabled(user->id, false).ok());
  EXPECT_FALSE(store->find(email())->disabled);
  EXPECT_EQ(store->set_disabled("no-such-user-id", true).code(), sdk::ErrorCode::not_found);
}

TEST_P(UserStoreConformance, ADeletedUserIsGoneAndSigningUpAgainMakesANewOne) {
  TestHost host;
  auto store = GetParam().make(host);
  const auto user = make_user(*store, email());
  ASSERT_TRUE(user.ok()) << user.error().message;
  auto removed = store->remove(user->id);
  if (GetParam().read_only || removed.code() == sdk::ErrorCode::unsupported) {
    ASSERT_FALSE(removed.ok());
    EXPECT_EQ(removed.code(), sdk::ErrorCode::unsupported);
    EXPECT_TRUE(store->get(user->id).ok()) << "a refused delete deletes nothing";
    return;
  }
  ASSERT_TRUE(removed.ok()) << removed.error().message;
  EXPECT_EQ(store->find(email()).code(), sdk::ErrorCode::not_found);
  EXPECT_EQ(store->get(user->id).code(), sdk::ErrorCode::not_found);
  EXPECT_EQ(store->remove(user->id).code(), sdk::ErrorCode::not_found);
  auto again = store->create(email());
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_NE(again->id, user->id);
}

}  // namespace linkgate::testkit
