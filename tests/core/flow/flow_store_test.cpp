#include "flow/flow_store.h"

#include <Poco/Data/SQLite/Utility.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "flow/pending_flows_in_memory.h"
#include "host/host_services.h"
#include "host/sql_expiring_keys.h"
#include "outbox/outbox_store.h"
#include "sql/process_roster.h"
#include "support/postgres_server.h"
#include "support/query_plan.h"
#include "support/temp_dir.h"

namespace linkgate::flow {
namespace {

Flow make_flow(const std::string& id, const std::string& who, std::int64_t expires_at = 2000) {
  Flow f;
  f.id = id;
  f.identifier_key = "key:" + who;
  f.identifier = {sdk::AddressKind::email, who};
  f.code_mac = "mac";
  f.created_at = 1000;
  f.expires_at = expires_at;
  f.device = "Firefox on Linux";
  return f;
}

class SqlFlowRepositoryTest : public ::testing::TestWithParam<const char*> {
 protected:
  linkgate::testing::TempDir dir;
  SqlFlowRepository store{linkgate::testing::open_test_database(GetParam(), dir)};
};

TEST_P(SqlFlowRepositoryTest, StoresAndReadsAFlow) {
  ASSERT_TRUE(store.create(make_flow("f1", "a@example.com"), true, {}).ok());
  auto f = store.get("f1");
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->identifier.value, "a@example.com");
  EXPECT_EQ(f->state, FlowState::pending);
  EXPECT_EQ(f->device, "Firefox on Linux");
  EXPECT_EQ(store.get("missing").code(), sdk::ErrorCode::not_found);
}

TEST_P(SqlFlowRepositoryTest, CompletesExactlyOnce) {
  ASSERT_TRUE(store.create(make_flow("f1", "a@example.com"), true, {}).ok());
  EXPECT_TRUE(store.complete("f1", 1500).value());
  EXPECT_FALSE(store.complete("f1", 1500).value());
  EXPECT_EQ(store.get("f1")->state, FlowState::completed);
}

TEST_P(SqlFlowRepositoryTest, DoesNotCompleteAnExpiredFlow) {
  ASSERT_TRUE(store.create(make_flow("f1", "a@example.com", 2000), true, {}).ok());
  EXPECT_FALSE(store.complete("f1", 2000).value());
}

// A redeem of a stateless link: its replay entry goes into the flows' database through the
// host's key store, inside complete_after(), and commits with the completion — both or neither.
class FlowCompletionWithALink : public SqlFlowRepositoryTest {
 protected:
  host::ManualClock clock{1500};
  std::shared_ptr<sql::Database> db = linkgate::testing::open_test_database(GetParam(), dir);
  SqlFlowRepository flows{db};
  host::SqlExpiringKeys keys{db, clock};

  std::function<sdk::Result<void>()> consume(const std::string& jti, bool* first = nullptr) {
    return [this, jti, first]() -> sdk::Result<void> {
      auto inserted = keys.insert_if_absent(jti, 3000);
      if (!inserted.ok()) return inserted.error();
      if (first != nullptr) *first = inserted.value();
      if (!inserted.value()) return sdk::fail(sdk::ErrorCode::used, "already redeemed");
      return sdk::success();
    };
  }
};

TEST_P(FlowCompletionWithALink, TheLinksEntryAndTheCompletionCommitTogether) {
  ASSERT_TRUE(flows.create(make_flow("f1", "a@example.com"), true, {}).ok());
  const auto* writer = db->group_commit();
  const auto calls = writer != nullptr ? writer->calls() : 0;
  bool visible_early = true;
  auto completed = flows.complete_after("f1", 1500, [&]() -> sdk::Result<void> {
    auto r = consume("jti:1")();
    visible_early = keys.contains("jti:1").value();
    return r;
  });
  ASSERT_TRUE(completed.ok()) << completed.error().message;
  EXPECT_TRUE(completed.value());
  EXPECT_FALSE(visible_early) << "the entry waits for the completion's commit";
  EXPECT_TRUE(keys.contains("jti:1").value());
  EXPECT_EQ(flows.get("f1")->state, FlowState::completed);
  if (writer != nullptr) {
    EXPECT_EQ(writer->calls() - calls, 1u) << "one write for both";
  }
}

TEST_P(FlowCompletionWithALink, AFlowAlreadyCompletedKeepsNoEntryForTheLink) {
  ASSERT_TRUE(flows.create(make_flow("f1", "a@example.com"), true, {}).ok());
  ASSERT_TRUE(flows.complete("f1", 1500).value());
  auto completed = flows.complete_after("f1", 1500, consume("jti:2"));
  ASSERT_TRUE(completed.ok());
  EXPECT_FALSE(completed.value());
  EXPECT_FALSE(keys.contains("jti:2").value()) << "undone with the completion that failed";
}

TEST_P(FlowCompletionWithALink, ALinkThatCannotBeConsumedLeavesTheFlowPending) {
  ASSERT_TRUE(flows.create(make_flow("f1", "a@example.com"), true, {}).ok());
  auto completed = flows.complete_after(
      "f1", 1500, [] { return sdk::Result<void>(sdk::fail(sdk::ErrorCode::expired, "expired")); });
  EXPECT_EQ(completed.code(), sdk::ErrorCode::expired) << "the link's own failure, as it was";
  EXPECT_EQ(flows.get("f1")->state, FlowState::pending);
}

TEST_P(FlowCompletionWithALink, AnEntryAlreadyThereUndoesTheCompletion) {
  ASSERT_TRUE(flows.create(make_flow("f1", "a@example.com"), true, {}).ok());
  ASSERT_TRUE(keys.insert_if_absent("jti:3", 3000).value());  // redeemed before
  bool first = false;
  auto completed = flows.complete_after("f1", 1500, consume("jti:3", &first));
  EXPECT_TRUE(first) << "inside the unit the commit decides, not a look-up";
  ASSERT_TRUE(completed.ok());
  EXPECT_FALSE(completed.value());
  EXPECT_EQ(flows.get("f1")->state, FlowState::pending);
  // Outside a unit the answer is immediate, as before.
  EXPECT_FALSE(keys.insert_if_absent("jti:3", 3000).value());
}

TEST_P(FlowCompletionWithALink, AnEntryMadeByAnotherCallerMeanwhileUndoesTheWholeCompletion) {
  ASSERT_TRUE(flows.create(make_flow("f1", "a@example.com"), true, {}).ok());
  bool first = false;
  auto completed = flows.complete_after("f1", 1500, [&]() -> sdk::Result<void> {
    auto r = consume("jti:4", &first)();
    // Another instance redeems the same link between this look-up and this commit.
    std::thread([&] { EXPECT_TRUE(keys.insert_if_absent("jti:4", 3000).value()); }).join();
    return r;
  });
  EXPECT_TRUE(first) << "absent when looked up";
  ASSERT_TRUE(completed.ok());
  EXPECT_FALSE(completed.value()) << "the other caller's insert won";
  EXPECT_EQ(flows.get("f1")->state, FlowState::pending) << "nothing of the unit was kept";
}

// How concurrent redeems of one link ended, as each hears it: completed, refused (another won),
// or failed.
struct RedeemTally {
  std::mutex m;
  std::condition_variable told;
  int completed = 0, refused = 0, failed = 0, calls = 0;

  void count(const sdk::Result<bool>& r) {
    std::lock_guard lock(m);
    ++calls;
    if (r.ok() && r.value()) {
      ++completed;
    } else if ((r.ok() && !r.value()) || r.code() == sdk::ErrorCode::used) {
      ++refused;
    } else {
      ++failed;
    }
    told.notify_all();
  }
  /// Waits until @p n have been told; then exactly one completed.
  void expect_one_of(int n) {
    std::unique_lock lock(m);
    ASSERT_TRUE(told.wait_for(lock, std::chrono::seconds(10), [&] { return calls == n; }));
    EXPECT_EQ(completed, 1);
    EXPECT_EQ(refused, n - 1);
    EXPECT_EQ(failed, 0);
  }
};

// A hundred redeems of one link at once, each completing a flow of its own (as if the link
// were accepted for each): the replay entry alone decides, and exactly one completes — whether
// each waits for its commit or, as the HTTP path redeems, is told once it is done.
TEST_P(FlowCompletionWithALink, OfAHundredConcurrentRedeemsOfOneLinkOneCompletes) {
  constexpr int kRedeems = 100;
  for (const bool waits : {true, false}) {
    const std::string link = waits ? "jti:5" : "jti:6", prefix = waits ? "f" : "g";
    for (int i = 0; i < kRedeems; ++i) {
      ASSERT_TRUE(
          flows.create(make_flow(prefix + std::to_string(i), "a@example.com"), false, {}).ok());
    }
    RedeemTally tally;
    std::vector<std::thread> redeems;
    for (int i = 0; i < kRedeems; ++i) {
      redeems.emplace_back([&, i] {
        const std::string id = prefix + std::to_string(i);
        if (waits) return tally.count(flows.complete_after(id, 1500, consume(link)));
        flows.complete_after_then(flows.get(id).value(), 1500, consume(link),
                                  [&tally](sdk::Result<bool> r) { tally.count(r); });
      });
    }
    for (auto& t : redeems) t.join();
    tally.expect_one_of(kRedeems);
    int pending = 0;
    for (int i = 0; i < kRedeems; ++i) {
      pending += flows.get(prefix + std::to_string(i))->state == FlowState::pending ? 1 : 0;
    }
    EXPECT_EQ(pending, kRedeems - 1) << (waits ? "waiting" : "told");
  }
}

// create_then(): once its creator is told, the flow is stored.
TEST_P(FlowCompletionWithALink, AFlowCreatedWithoutWaitingIsThereOnceItsCreatorIsTold) {
  std::mutex m;
  std::condition_variable told;
  std::optional<sdk::Result<void>> result;
  flows.create_then(std::make_shared<const Flow>(make_flow("later", "a@example.com")), true,
                    std::make_shared<const FlowMessage>(), [&](sdk::Result<void> r) {
                      std::lock_guard lock(m);
                      result = std::move(r);
                      told.notify_all();
                    });
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(told.wait_for(lock, std::chrono::seconds(10), [&] { return result.has_value(); }));
  }
  ASSERT_TRUE(result->ok());
  EXPECT_EQ(flows.get("later")->state, FlowState::pending);
}

TEST_P(SqlFlowRepositoryTest, NewFlowSupersedesThePendingOnesOfTheSameIdentifier) {
  ASSERT_TRUE(store.create(make_flow("old", "a@example.com"), true, {}).ok());
  ASSERT_TRUE(store.create(make_flow("other", "b@example.com"), true, {}).ok());
  ASSERT_TRUE(store.create(make_flow("new", "a@example.com"), true, {}).ok());
  EXPECT_EQ(store.get("old")->state, FlowState::superseded);
  EXPECT_EQ(store.get("other")->state, FlowState::pending);
  EXPECT_EQ(store.get("new")->state, FlowState::pending);
}

// An expired flow is refused as expired whatever its state: a start ends only the live ones,
// found by (identifier_key, expires_at) without reading the address's ended flows.
TEST_P(SqlFlowRepositoryTest, ANewFlowSupersedesOnlyTheLiveFlowsOfItsIdentifier) {
  ASSERT_TRUE(store.create(make_flow("expired", "a@example.com", 1000), false, {}).ok());
  ASSERT_TRUE(store.create(make_flow("live", "a@example.com", 1001), false, {}).ok());
  ASSERT_TRUE(store.create(make_flow("new", "a@example.com"), true, {}).ok());
  EXPECT_EQ(store.get("expired")->state, FlowState::pending);
  EXPECT_EQ(store.get("live")->state, FlowState::superseded);
  EXPECT_EQ(store.get("new")->state, FlowState::pending);
}

TEST_P(SqlFlowRepositoryTest, WithoutSupersedeEarlierFlowsStay) {
  ASSERT_TRUE(store.create(make_flow("old", "a@example.com"), false, {}).ok());
  ASSERT_TRUE(store.create(make_flow("new", "a@example.com"), false, {}).ok());
  EXPECT_EQ(store.get("old")->state, FlowState::pending);
}

TEST_P(SqlFlowRepositoryTest, ParallelAttemptsNeverExceedTheLimit) {
  ASSERT_TRUE(store.create(make_flow("f1", "a@example.com"), true, {}).ok());
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      if (store.take_attempt("f1", 5, 1500).value()) ++granted;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(granted.load(), 5);
  EXPECT_EQ(store.get("f1")->attempts, 5);
}

TEST_P(SqlFlowRepositoryTest, SweepsLongExpiredFlows) {
  ASSERT_TRUE(store.create(make_flow("f1", "a@example.com", 100), true, {}).ok());
  ASSERT_TRUE(store.create(make_flow("f2", "b@example.com", 5000), true, {}).ok());
  EXPECT_EQ(store.sweep(1000, 60, 100).value().flows, 1u);
  EXPECT_EQ(store.get("f1").code(), sdk::ErrorCode::not_found);
  EXPECT_TRUE(store.get("f2").ok());
}

TEST_P(SqlFlowRepositoryTest, NotesConfirmViewsAndCountsTheNeverRedeemedWhenSwept) {
  for (const char* id : {"scanned", "redeemed", "unseen", "many"}) {
    ASSERT_TRUE(store.create(make_flow(id, std::string(id) + "@example.com", 100), false, {}).ok());
  }
  EXPECT_TRUE(store.note_view(store.get("scanned").value(), "microsoft_office").value())
      << "the first view";
  EXPECT_FALSE(store.note_view(store.get("scanned").value(), "chrome").value()) << "not the first";
  EXPECT_FALSE(store.note_view(store.get("scanned").value(), "chrome").value());
  EXPECT_EQ(store.get("scanned")->viewed_by, "microsoft_office,chrome") << "each family once";
  EXPECT_TRUE(store.note_view(store.get("redeemed").value(), "bing_preview").value());
  ASSERT_TRUE(store.complete("redeemed", 50).value());
  for (const char* family : {"a", "b", "c", "d", "e", "f"})
    store.note_view(store.get("many").value(), family);
  EXPECT_EQ(store.get("many")->viewed_by, "a,b,c,d") << "the list stops growing";
  EXPECT_EQ(store.note_view(make_flow("nosuch", "x@example.com"), "chrome").code(),
            sdk::ErrorCode::not_found);

  auto first = store.sweep(1000, 60, 3);
  ASSERT_TRUE(first.ok());
  auto second = store.sweep(1000, 60, 3);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->flows, 3u) << "at most max_flows per sweep";
  EXPECT_EQ(second->flows, 1u);
  std::map<std::string, std::int64_t> views = first->unredeemed_views;
  for (const auto& [family, n] : second->unredeemed_views) views[family] += n;
  EXPECT_EQ(views,
            (std::map<std::string, std::int64_t>{
                {"microsoft_office", 1}, {"chrome", 1}, {"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}}))
      << "the redeemed flow's view is not counted, nor is a flow nobody opened";
}

// A database made before short SMS links and confirm-view notes: opening it adds the columns
// (the upgrade docs/operations.md promises), and what was stored reads back.
TEST_P(SqlFlowRepositoryTest, AnOlderTableGetsTheNewColumnsAndKeepsItsFlows) {
  auto db = linkgate::testing::open_test_database(GetParam(), dir);
  {
    auto lease = db->session();
    *lease << "DROP TABLE IF EXISTS lg_flows", Poco::Data::Keywords::now;
    *lease << db->sql(
        "CREATE TABLE lg_flows (id TEXT PRIMARY KEY, identifier_key TEXT NOT NULL,"
        " identifier_kind INTEGER NOT NULL, identifier TEXT NOT NULL,"
        " subject TEXT NOT NULL, redirect_uri TEXT NOT NULL, code_mac TEXT NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL,"
        " created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, device TEXT NOT NULL,"
        " deliverable INTEGER NOT NULL)"),
        Poco::Data::Keywords::now;
    *lease << db->sql(
        "INSERT INTO lg_flows VALUES ('old', 'k', 0, 'o@example.com', '', '', 'mac', 0,"
        " 'pending', 1000, 2000, 'Firefox on Linux', 1)"),
        Poco::Data::Keywords::now;
  }
  SqlFlowRepository upgraded(db);
  auto old = upgraded.get("old");
  ASSERT_TRUE(old.ok()) << old.error().message;
  EXPECT_EQ(old->identifier.value, "o@example.com");
  EXPECT_EQ(old->short_key_mac, "");
  EXPECT_EQ(old->viewed_by, "");
  EXPECT_TRUE(upgraded.note_view(old.value(), "chrome").value());
  EXPECT_EQ(upgraded.get("old")->viewed_by, "chrome");
}

TEST_P(SqlFlowRepositoryTest, ADatabaseFailureIsAValueNotAThrow) {
  auto db = linkgate::testing::open_test_database(GetParam(), dir);
  SqlFlowRepository broken(db);
  ASSERT_TRUE(broken.create(make_flow("f1", "a@example.com"), true, {}).ok());
  {
    auto lease = db->session();
    *lease << "DROP TABLE lg_flows", Poco::Data::Keywords::now;
  }
  EXPECT_EQ(broken.get("f1").code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.create(make_flow("f2", "b@example.com"), true, {}).code(),
            sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.complete("f1", 1500).code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.take_attempt("f1", 5, 1500).code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.kill("f1").code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.sweep(1000, 60, 100).code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(broken.note_view(make_flow("f1", "a@example.com"), "chrome").code(),
            sdk::ErrorCode::unavailable);
}

TEST_P(SqlFlowRepositoryTest, AStartStoresTheFlowAndItsMessageTogetherOrNeither) {
  auto db = linkgate::testing::open_test_database(GetParam(), dir);
  auto outbox = std::make_shared<outbox::OutboxStore>(db);
  SqlFlowRepository flows(db, outbox);
  outbox::OutboxMessage message;
  message.id = "m1";
  message.flow_id = "f1";
  message.recipient = "a@example.com";
  message.link = "https://x/verify?token=SECRET";
  message.code = "123456";
  message.expires_at = 2000;
  ASSERT_TRUE(flows.create(make_flow("f1", "a@example.com"), true, {message, 1000}).ok());
  EXPECT_EQ(flows.get("f1")->state, FlowState::pending);
  EXPECT_EQ(outbox->state_of("m1")->first, "pending");

  outbox::OutboxMessage discard = message;
  discard.id = "m2";
  discard.flow_id = "f2";
  discard.channel_index = outbox::kDiscard;
  ASSERT_TRUE(flows.create(make_flow("f2", "b@example.com"), true, {discard, 1000}).ok());
  EXPECT_EQ(outbox->state_of("m2")->first, "pending") << "a stranger's start writes as much";

  // The message cannot be stored (its id is taken): the new flow is not stored either, and the
  // flow it would have superseded is still pending.
  message.flow_id = "f3";
  EXPECT_EQ(flows.create(make_flow("f3", "a@example.com"), true, {message, 1000}).code(),
            sdk::ErrorCode::unavailable);
  EXPECT_EQ(flows.get("f3").code(), sdk::ErrorCode::not_found);
  EXPECT_EQ(flows.get("f1")->state, FlowState::pending);
  // And the next start still finds it: the failed one made nothing forget it.
  ASSERT_TRUE(flows.create(make_flow("f4", "a@example.com"), true, {}).ok());
  EXPECT_EQ(flows.get("f1")->state, FlowState::superseded);
}

TEST_P(SqlFlowRepositoryTest, EveryStatementFindsItsRowsThroughAnIndex) {
  auto db = linkgate::testing::open_test_database(GetParam(), dir);
  // On SQLite the identifier index is there while another process writes the flows too.
  std::optional<sql::ProcessRoster> another_writer;
  if (db->dialect() == sql::Dialect::sqlite) {
    another_writer.emplace(sql::ProcessRoster::file_for(db->sqlite_file()));
  }
  SqlFlowRepository flows(db);
  ASSERT_TRUE(flows.create(make_flow("first", "a@example.com"), true, {}).ok());
  const auto unindexed =
      linkgate::testing::plan_of(*db, db->sql("SELECT id FROM lg_flows WHERE subject = ?"));
  EXPECT_TRUE(linkgate::testing::scans_whole_table(unindexed, "lg_flows")) << unindexed;
  const auto statements = flows.statements();
  // The supersede, the read with its row id and the completion by it are SQLite's alone.
  ASSERT_EQ(statements.size(), db->dialect() == sql::Dialect::sqlite ? 12u : 9u);
  for (const auto& [name, statement] : statements) {
    if (name == "insert") continue;  // no rows to find
    const auto plan = linkgate::testing::plan_of(*db, statement);
    ASSERT_FALSE(plan.empty()) << name;
    EXPECT_FALSE(linkgate::testing::scans_whole_table(plan, "lg_flows")) << name << ":\n" << plan;
  }
  // A start's supersede reads the address's live flows only: both columns bound the search.
  std::map<std::string, std::string> by_name(statements.begin(), statements.end());
  const auto supersede = linkgate::testing::plan_of(*db, by_name.at("supersede"));
  EXPECT_NE(supersede.find("lg_flows_by_identifier"), std::string::npos) << supersede;
  const bool bounded = supersede.find("expires_at>") != std::string::npos ||  // SQLite
                       supersede.find("expires_at >") != std::string::npos;   // PostgreSQL
  EXPECT_TRUE(bounded) << supersede;
  if (db->dialect() == sql::Dialect::sqlite) {
    // A redeem's completion descends the table by its row id, not the id's index first.
    const auto by_row = linkgate::testing::plan_of(*db, by_name.at("complete_row"));
    EXPECT_NE(by_row.find("INTEGER PRIMARY KEY"), std::string::npos) << by_row;
  }
}

// A redeem completes the flow through the row id it read; a row id that names another flow
// (the row swept and its row id given to a new one meanwhile) never completes that other flow:
// the flow is then found by its id.
TEST_P(SqlFlowRepositoryTest, ACompletionByRowIdChecksTheFlowsId) {
  auto db = linkgate::testing::open_test_database(GetParam(), dir);
  SqlFlowRepository flows(db);
  ASSERT_TRUE(flows.create(make_flow("mine", "a@example.com"), false, {}).ok());
  ASSERT_TRUE(flows.create(make_flow("theirs", "b@example.com"), false, {}).ok());
  const auto mine = flows.get("mine").value();
  const auto theirs = flows.get("theirs").value();
  if (db->dialect() == sql::Dialect::sqlite) {
    ASSERT_GT(mine.row, 0);
    ASSERT_NE(mine.row, theirs.row);
  }
  auto complete = [&](const Flow& flow) {
    std::promise<sdk::Result<bool>> told;
    auto result = told.get_future();
    flows.complete_after_then(
        flow, 1500, [] { return sdk::success(); },
        [&told](sdk::Result<bool> r) { told.set_value(std::move(r)); });
    EXPECT_EQ(result.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return result.get();
  };
  auto stale = mine;
  stale.row = theirs.row;
  const auto with_stale_row = complete(stale);
  ASSERT_TRUE(with_stale_row.ok());
  EXPECT_TRUE(with_stale_row.value());
  EXPECT_EQ(flows.get("mine")->state, FlowState::completed);
  EXPECT_EQ(flows.get("theirs")->state, FlowState::pending);
  const auto again = complete(mine);  // through its own row id: used already
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again.value());
  EXPECT_EQ(flows.get("theirs")->state, FlowState::pending);
}

// A database made before: its identifier index over the state goes, the new one comes, and
// what it held reads back.
TEST_P(SqlFlowRepositoryTest, TheIdentifierIndexOverTheStateIsReplaced) {
  auto db = linkgate::testing::open_test_database(GetParam(), dir);
  {
    SqlFlowRepository made(db);
    ASSERT_TRUE(made.create(make_flow("old", "a@example.com"), false, {}).ok());
  }
  {
    auto lease = db->session();
    *lease << "DROP INDEX IF EXISTS lg_flows_by_identifier", Poco::Data::Keywords::now;
    *lease << "CREATE INDEX lg_flows_identifier ON lg_flows (identifier_key, state)",
        Poco::Data::Keywords::now;
  }
  SqlFlowRepository reopened(db);
  ASSERT_TRUE(reopened.create(make_flow("new", "a@example.com"), true, {}).ok());
  EXPECT_EQ(reopened.get("old")->state, FlowState::superseded);
  const auto indexes = linkgate::testing::indexes_of(*db, "lg_flows");
  EXPECT_FALSE(indexes.contains("lg_flows_identifier"));
  // On an SQLite file one process writes, the flows' table in memory answers instead.
  EXPECT_EQ(indexes.contains("lg_flows_by_identifier"), db->dialect() != sql::Dialect::sqlite);
}

// The statements of a flow store on SQLite, by name, for what their programs do — with another
// process writing the same file, where the identifier index answers a supersede.
class SqlFlowRepositorySqlite : public ::testing::Test {
 protected:
  SqlFlowRepositorySqlite() {
    EXPECT_TRUE(flows.create(make_flow("first", "first@example.com"), true, {}).ok());
    for (const auto& [name, statement] : flows.statements()) statements[name] = statement;
  }
  linkgate::testing::TempDir dir;
  std::shared_ptr<sql::Database> db = linkgate::testing::open_test_database("sqlite", dir);
  sql::ProcessRoster another_writer{sql::ProcessRoster::file_for(db->sqlite_file())};
  SqlFlowRepository flows{db};
  std::map<std::string, std::string> statements;
};

// What a start and a redeem run on the writer's connection builds no temporary B-tree (an
// UPDATE that finds its rows through an index whose column it changes would collect them in one
// first, at every start).
TEST_F(SqlFlowRepositorySqlite, NoStatementOfAStartOrARedeemBuildsATemporaryBTree) {
  // The check itself: an UPDATE that changes a column of the index it finds its rows by does.
  EXPECT_EQ(linkgate::testing::temporary_btrees_of(
                *db,
                "UPDATE lg_flows SET expires_at = 1 WHERE identifier_key = ? AND"
                " expires_at > ?"),
            1);
  for (const char* name :
       {"supersede", "supersede_one", "insert", "get", "complete", "take_attempt"}) {
    EXPECT_EQ(linkgate::testing::temporary_btrees_of(*db, statements.at(name)), 0) << name;
  }
}

// A flow's state, attempts and views change after its insert; no index is over any of them, so
// a redeem, a supersede, a wrong code or a confirm view writes the row and no index entry.
TEST_F(SqlFlowRepositorySqlite, AFlowsChangesAfterItsInsertWriteNoIndexEntry) {
  // The check itself: the insert writes one entry into each of the four indexes.
  EXPECT_EQ(linkgate::testing::index_writes_of(*db, statements.at("insert")), 4);
  for (const char* name :
       {"supersede", "supersede_one", "complete", "take_attempt", "kill", "note_view"}) {
    EXPECT_EQ(linkgate::testing::index_writes_of(*db, statements.at(name)), 0) << name;
  }
}

// SQLite's steps for one run of the supersede for @p key at @p now: the work the statement did.
int supersede_steps(sql::Database& db, const std::string& supersede, const std::string& key,
                    std::int64_t now) {
  auto lease = db.session();
  sqlite3* handle = Poco::Data::SQLite::Utility::dbHandle(*lease);
  sqlite3_stmt* statement = nullptr;
  if (sqlite3_prepare_v2(handle, supersede.c_str(), -1, &statement, nullptr) != SQLITE_OK)
    return -1;
  sqlite3_bind_text(statement, 1, key.c_str(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
  sqlite3_bind_int64(statement, 2, now);
  while (sqlite3_step(statement) == SQLITE_ROW) {
  }
  const int steps = sqlite3_stmt_status(statement, SQLITE_STMTSTATUS_VM_STEP, 0);
  sqlite3_finalize(statement);
  return steps;
}

// The attacker's case: an address someone keeps asking links for holds 20,000 ended flows until
// the next sweep. Its next start supersedes with as little work as an address holding none — the
// index search starts past the expired ones — where a search by the identifier alone would step
// through every one of them.
TEST_F(SqlFlowRepositorySqlite, ASupersedeDoesNotReadTheEndedFlowsAnAddressKeeps) {
  {
    auto lease = db->session();
    *lease << "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 20000)"
              " INSERT INTO lg_flows (id, identifier_key, identifier_kind, identifier, subject,"
              " redirect_uri, code_mac, state, created_at, expires_at, device, deliverable)"
              " SELECT 'ended' || x, 'key:busy@example.com', 0, 'busy@example.com', '', '', '',"
              " CASE x % 3 WHEN 0 THEN 'pending' WHEN 1 THEN 'completed' ELSE 'superseded' END,"
              " x, 100 + x % 900, '', 1 FROM n",
        Poco::Data::Keywords::now;
  }
  ASSERT_TRUE(flows.create(make_flow("live-busy", "busy@example.com"), false, {}).ok());
  ASSERT_TRUE(flows.create(make_flow("live-quiet", "quiet@example.com"), false, {}).ok());
  const auto& supersede = statements.at("supersede");
  const int busy = supersede_steps(*db, supersede, "key:busy@example.com", 1000);
  const int quiet = supersede_steps(*db, supersede, "key:quiet@example.com", 1000);
  ASSERT_GT(quiet, 0);
  EXPECT_LE(busy, quiet + 20) << "steps for the address with 20,000 ended flows: " << busy
                              << ", for one with none: " << quiet;
  EXPECT_EQ(flows.get("live-busy")->state, FlowState::superseded);
  EXPECT_EQ(flows.get("ended3")->state, FlowState::pending) << "an expired flow is left as it is";
  // The check itself: the same search by the identifier alone steps through all 20,000.
  const int unbounded =
      supersede_steps(*db,
                      "UPDATE lg_flows SET state = 'superseded' WHERE identifier_key = ? AND"
                      " +expires_at > ? AND state = 'pending'",
                      "key:busy@example.com", 1000);
  EXPECT_GT(unbounded, 20000);
}

// One process writing an SQLite file: a start finds the identifier's flows in the table kept in
// memory, and the file has no identifier index for each start to write an entry into.
class FlowsInMemory : public ::testing::Test {
 protected:
  std::shared_ptr<sql::Database> open() {
    return sql::Database::open("sqlite:" + dir.file("core.db"));
  }
  // The fixture's database closed and opened again as a restarted server would. The old one's
  // last closure may still be let go on its writer's thread after db.reset(): its membership of
  // the file's writers is waited out, or the new one would count it as a second process.
  std::shared_ptr<sql::Database> reopen() {
    const auto roster = sql::ProcessRoster::file_for(db->sqlite_file());
    db.reset();
    const sql::ProcessRoster probe(roster);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (probe.others_present() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    EXPECT_FALSE(probe.others_present()) << "the closed database still holds the roster";
    return open();
  }
  std::size_t held(const std::shared_ptr<sql::Database>& database) {
    return database
        ->attachment<PendingFlowsInMemory>([]() -> std::shared_ptr<PendingFlowsInMemory> {
          throw std::logic_error("no flow store made the table");
        })
        ->size();
  }
  // Gives @p database's flow stores a table that holds at most @p entries (before any is made).
  static void limit_table(const std::shared_ptr<sql::Database>& database, std::size_t entries) {
    database->attachment<PendingFlowsInMemory>([&] {
      return std::make_shared<PendingFlowsInMemory>(
          sql::ProcessRoster::file_for(database->sqlite_file()), entries);
    });
  }
  linkgate::testing::TempDir dir;
  std::shared_ptr<sql::Database> db = open();
};

TEST_F(FlowsInMemory, AStartSupersedesTheIdentifiersFlowsWithoutAnIndex) {
  SqlFlowRepository flows(db);
  ASSERT_TRUE(flows.create(make_flow("a1", "a@example.com"), true, {}).ok());
  ASSERT_TRUE(flows.create(make_flow("b1", "b@example.com"), true, {}).ok());
  ASSERT_TRUE(flows.create(make_flow("a2", "a@example.com"), true, {}).ok());
  EXPECT_EQ(flows.get("a1")->state, FlowState::superseded);
  EXPECT_EQ(flows.get("b1")->state, FlowState::pending);
  EXPECT_EQ(flows.get("a2")->state, FlowState::pending);
  ASSERT_TRUE(flows.create(make_flow("a3", "a@example.com"), true, {}).ok());
  EXPECT_EQ(flows.get("a2")->state, FlowState::superseded);
  EXPECT_FALSE(linkgate::testing::indexes_of(*db, "lg_flows").contains("lg_flows_by_identifier"));
  EXPECT_EQ(held(db), 2u) << "a3 and b1; the superseded ones forgotten";
  // The insert writes the primary key's, the short key's and the expiry's entries, no fourth.
  const auto statements = flows.statements();
  const std::map<std::string, std::string> by_name(statements.begin(), statements.end());
  EXPECT_EQ(linkgate::testing::index_writes_of(*db, by_name.at("insert")), 3);
}

// A flow that ended otherwise keeps its state; its entry stays until it expires (only a flow a
// start ended is known to be the identifier's own and done with).
TEST_F(FlowsInMemory, AFlowRedeemedBeforeTheNextStartStaysRedeemed) {
  SqlFlowRepository flows(db);
  ASSERT_TRUE(flows.create(make_flow("a1", "a@example.com"), true, {}).ok());
  ASSERT_TRUE(flows.complete("a1", 1500).value());
  ASSERT_TRUE(flows.create(make_flow("a2", "a@example.com"), true, {}).ok());
  EXPECT_EQ(flows.get("a1")->state, FlowState::completed);
  EXPECT_EQ(flows.get("a2")->state, FlowState::pending);
  EXPECT_EQ(held(db), 2u);
  ASSERT_TRUE(flows.create(make_flow("a3", "a@example.com"), true, {}).ok());
  EXPECT_EQ(flows.get("a2")->state, FlowState::superseded);
  EXPECT_EQ(held(db), 2u) << "a1 until it expires, and a3";
}

TEST_F(FlowsInMemory, AnExpiredFlowIsLeftAsItIsAndASweepDropsItFromTheTable) {
  SqlFlowRepository flows(db);
  ASSERT_TRUE(flows.create(make_flow("a1", "a@example.com", 1500), true, {}).ok());
  ASSERT_TRUE(flows.create(make_flow("b1", "b@example.com", 3000), true, {}).ok());
  auto later = make_flow("a2", "a@example.com", 4000);
  later.created_at = 1600;
  ASSERT_TRUE(flows.create(later, true, {}).ok());
  EXPECT_EQ(flows.get("a1")->state, FlowState::pending) << "expired: refused as such, not touched";
  EXPECT_EQ(held(db), 3u);
  ASSERT_TRUE(flows.sweep(2000, 86400, 100).ok());
  EXPECT_EQ(held(db), 2u) << "a1 expired at 1500";
  ASSERT_TRUE(flows.sweep(3500, 86400, 100).ok());
  EXPECT_EQ(held(db), 1u);
}

TEST_F(FlowsInMemory, AStoreOpenedAgainFindsTheFlowsMadeBefore) {
  {
    SqlFlowRepository flows(db);
    ASSERT_TRUE(flows.create(make_flow("a1", "a@example.com"), true, {}).ok());
    ASSERT_TRUE(flows.create(make_flow("b1", "b@example.com"), true, {}).ok());
    ASSERT_TRUE(flows.complete("b1", 1500).value());
  }
  auto again = reopen();
  SqlFlowRepository flows(again);
  ASSERT_TRUE(flows.create(make_flow("a2", "a@example.com"), true, {}).ok());
  EXPECT_EQ(flows.get("a1")->state, FlowState::superseded);
  EXPECT_EQ(held(again), 1u) << "only a2 is pending: a1 was loaded and ended, b1 never loaded";
}

TEST_F(FlowsInMemory, StartsWithoutSupersedeAreFoundByTheNextThatSupersedes) {
  SqlFlowRepository flows(db);
  ASSERT_TRUE(flows.create(make_flow("a1", "a@example.com"), false, {}).ok());
  ASSERT_TRUE(flows.create(make_flow("a2", "a@example.com"), false, {}).ok());
  EXPECT_EQ(held(db), 0u) << "nothing is kept while no start supersedes";
  EXPECT_EQ(flows.get("a1")->state, FlowState::pending);
  ASSERT_TRUE(flows.create(make_flow("a3", "a@example.com"), true, {}).ok());
  EXPECT_EQ(flows.get("a1")->state, FlowState::superseded);
  EXPECT_EQ(flows.get("a2")->state, FlowState::superseded);
  EXPECT_EQ(held(db), 1u);
}

// Two processes on one file (here two databases, each joining the writers itself): the first
// alone drops the index; once the second has joined, both supersede through it, and each
// finds the other's flows.
TEST_F(FlowsInMemory, TwoWritersOfOneFileSupersedeEachOthersFlows) {
  SqlFlowRepository first(db);
  ASSERT_TRUE(first.create(make_flow("a1", "a@example.com"), true, {}).ok());
  ASSERT_TRUE(first.create(make_flow("b1", "b@example.com"), true, {}).ok());
  EXPECT_FALSE(linkgate::testing::indexes_of(*db, "lg_flows").contains("lg_flows_by_identifier"));

  auto other = open();
  SqlFlowRepository second(other);
  ASSERT_TRUE(second.create(make_flow("a2", "a@example.com"), true, {}).ok());
  EXPECT_EQ(first.get("a1")->state, FlowState::superseded);
  EXPECT_TRUE(linkgate::testing::indexes_of(*db, "lg_flows").contains("lg_flows_by_identifier"));

  ASSERT_TRUE(first.create(make_flow("a3", "a@example.com"), true, {}).ok());
  EXPECT_EQ(first.get("a2")->state, FlowState::superseded)
      << "the second's flow, found by the first";
  ASSERT_TRUE(second.create(make_flow("b2", "b@example.com"), true, {}).ok());
  EXPECT_EQ(first.get("b1")->state, FlowState::superseded);
  EXPECT_EQ(held(db), 0u) << "the first's table answers no more";
}

// Past its limit the table gives way to the index, made by the next supersede; flows made
// before are found through it.
TEST_F(FlowsInMemory, PastItsLimitTheIndexAnswers) {
  limit_table(db, 3);
  SqlFlowRepository flows(db);
  for (const char* who : {"a", "b", "c"}) {
    ASSERT_TRUE(
        flows.create(make_flow(std::string(who) + "1", std::string(who) + "@x"), true, {}).ok());
  }
  EXPECT_EQ(held(db), 3u);
  ASSERT_TRUE(flows.create(make_flow("d1", "d@x"), true, {}).ok());
  EXPECT_EQ(held(db), 0u);
  ASSERT_TRUE(flows.create(make_flow("a2", "a@x"), true, {}).ok());
  EXPECT_EQ(flows.get("a1")->state, FlowState::superseded);
  EXPECT_TRUE(linkgate::testing::indexes_of(*db, "lg_flows").contains("lg_flows_by_identifier"));
  ASSERT_TRUE(flows.create(make_flow("d2", "d@x"), true, {}).ok());
  EXPECT_EQ(flows.get("d1")->state, FlowState::superseded) << "the flow that passed the limit";
}

// A server joins the writers before it listens (wiring::Runtime::start): the pending flows are
// in the table, and the index gone, before any start.
TEST_F(FlowsInMemory, JoiningBeforeAnyStartLoadsThePendingFlows) {
  {
    SqlFlowRepository flows(db);
    ASSERT_TRUE(flows.create(make_flow("a1", "a@example.com"), true, {}).ok());
    ASSERT_TRUE(flows.create(make_flow("b1", "b@example.com"), true, {}).ok());
  }
  auto again = reopen();
  {
    auto lease = again->session();
    *lease << kIdentifierIndex, Poco::Data::Keywords::now;  // as a second writer had left it
  }
  SqlFlowRepository flows(again);
  EXPECT_EQ(held(again), 0u);
  flows.join_writers(1000);
  EXPECT_EQ(held(again), 2u);
  EXPECT_FALSE(
      linkgate::testing::indexes_of(*again, "lg_flows").contains("lg_flows_by_identifier"));
  flows.join_writers(1000);  // once only
  EXPECT_EQ(held(again), 2u);
  ASSERT_TRUE(flows.create(make_flow("a2", "a@example.com"), true, {}).ok());
  EXPECT_EQ(flows.get("a1")->state, FlowState::superseded);
}

// A restart on a file with more pending flows than the table holds keeps the index, instead of
// dropping it, loading, and making it again at the next start (a second's pause per restart on
// 785,000 pending flows, measured): the index is there before any start supersedes.
TEST_F(FlowsInMemory, OpenedOnMorePendingFlowsThanItHoldsTheIndexStays) {
  {
    SqlFlowRepository flows(db);
    for (const char* who : {"a", "b", "c", "d"}) {
      ASSERT_TRUE(
          flows.create(make_flow(std::string(who) + "1", std::string(who) + "@x"), true, {}).ok());
    }
    EXPECT_FALSE(linkgate::testing::indexes_of(*db, "lg_flows").contains("lg_flows_by_identifier"));
  }
  auto again = reopen();
  limit_table(again, 3);
  SqlFlowRepository flows(again);
  ASSERT_TRUE(flows.create(make_flow("e1", "e@x"), false, {}).ok());
  EXPECT_TRUE(linkgate::testing::indexes_of(*again, "lg_flows").contains("lg_flows_by_identifier"))
      << "made when the process joined, before any supersede";
  EXPECT_EQ(held(again), 0u);
  ASSERT_TRUE(flows.create(make_flow("a2", "a@x"), true, {}).ok());
  EXPECT_EQ(flows.get("a1")->state, FlowState::superseded) << "found through the index";
}

// Starts without supersede leave the table to be reloaded by the next that supersedes; when the
// reload finds more than the table holds, that start supersedes through the index.
TEST_F(FlowsInMemory, AReloadPastItsLimitSupersedesThroughTheIndex) {
  limit_table(db, 3);
  SqlFlowRepository flows(db);
  for (const char* who : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(
        flows.create(make_flow(std::string(who) + "1", std::string(who) + "@x"), false, {}).ok());
  }
  ASSERT_TRUE(flows.create(make_flow("a2", "a@x"), true, {}).ok());
  EXPECT_EQ(flows.get("a1")->state, FlowState::superseded);
  EXPECT_EQ(flows.get("b1")->state, FlowState::pending);
  EXPECT_TRUE(linkgate::testing::indexes_of(*db, "lg_flows").contains("lg_flows_by_identifier"));
  EXPECT_EQ(held(db), 0u);
  ASSERT_TRUE(flows.create(make_flow("b2", "b@x"), true, {}).ok());
  EXPECT_EQ(flows.get("b1")->state, FlowState::superseded);
}

INSTANTIATE_TEST_SUITE_P(Backends, SqlFlowRepositoryTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });
INSTANTIATE_TEST_SUITE_P(Backends, FlowCompletionWithALink,
                         ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace linkgate::flow
