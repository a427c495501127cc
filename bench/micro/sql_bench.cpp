// One statement of the hot path (the revocation look-up GET /v1/session makes, and the flow
// read a redeem makes) run through Poco Data — prepared anew on each execution — and through the
// connection's cache of prepared statements (sql::SqliteStatements), on the same table in the
// same run; plus sqlite3_prepare_v2 alone, what the cache saves per execution. And a sign-in
// start's write — a flow and its message committed by the group-commit writer, one call at a
// time — with the log's frames written as SQLite writes them (two system calls each) and
// gathered into one write per commit (sql/wal_write_batching.h).
//   build/sql_bench --benchmark_min_time=1

#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include "sql/database.h"
#include "sql/wal_write_batching.h"
#include "support/temp_dir.h"

namespace {

using namespace linkgate;
using namespace Poco::Data::Keywords;

constexpr const char* kContains =
    "SELECT COUNT(*) FROM lg_expiring_keys WHERE name = ? AND expires_at > ?";

struct Keys {
  testing::TempDir dir;
  std::shared_ptr<sql::Database> db = sql::Database::open("sqlite:" + dir.file("keys.db"));
  Keys() {
    auto lease = db->session();
    *lease << "CREATE TABLE lg_expiring_keys (name TEXT PRIMARY KEY, expires_at BIGINT NOT NULL)",
        now;
    *lease << "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100000)"
              " INSERT INTO lg_expiring_keys SELECT 'revoked:' || x, 4000000000 FROM n",
        now;
  }
};

void ContainsThroughPocoData(benchmark::State& state) {
  Keys keys;
  std::string name = "revoked:777";
  std::int64_t now_s = 1'700'000'000;
  for (auto _ : state) {
    auto lease = keys.db->session();
    int found = 0;
    *lease << kContains, useRef(name), useRef(now_s), into(found), now;
    benchmark::DoNotOptimize(found);
  }
}
BENCHMARK(ContainsThroughPocoData);

void ContainsThroughCachedStatement(benchmark::State& state) {
  Keys keys;
  std::string name = "revoked:777";
  std::int64_t now_s = 1'700'000'000;
  for (auto _ : state) {
    auto lease = keys.db->session();
    auto select = lease.statements()->use(kContains);
    select.bind(name).bind(now_s);
    benchmark::DoNotOptimize(select.next_row() && select.int64(0) > 0);
  }
}
BENCHMARK(ContainsThroughCachedStatement);

void PrepareAlone(benchmark::State& state) {
  Keys keys;
  auto lease = keys.db->session();
  sqlite3* db = Poco::Data::SQLite::Utility::dbHandle(*lease);
  for (auto _ : state) {
    sqlite3_stmt* statement = nullptr;
    sqlite3_prepare_v2(db, kContains, -1, &statement, nullptr);
    sqlite3_finalize(statement);
  }
}
BENCHMARK(PrepareAlone);

// A flow's row and its message's row (about the size of a rendered e-mail), each table with
// the kinds of index the real ones have, committed one call at a time.
void CommitAStartsRows(benchmark::State& state) {
  sql::batch_wal_writes_by_default(state.range(0) == 1);
  testing::TempDir dir;
  auto db = sql::Database::open("sqlite:" + dir.file("start.db"));
  {
    auto lease = db->session();
    *lease << "CREATE TABLE flows (id TEXT PRIMARY KEY, who TEXT NOT NULL, expires BIGINT)", now;
    *lease << "CREATE INDEX flows_who ON flows (who)", now;
    *lease << "CREATE TABLE messages (id TEXT PRIMARY KEY, body TEXT NOT NULL, state TEXT)", now;
    *lease << "CREATE INDEX messages_pending ON messages (state) WHERE state = 'pending'", now;
  }
  const std::string body(3000, 'x');
  std::uint64_t n = 0;
  const auto before = sql::wal_write_counts();
  for (auto _ : state) {
    const std::string id = std::to_string(1'000'000'000 + n);
    const std::string who = std::to_string((n * 7919) % 100'000) + "@example.com";
    ++n;
    db->write([&](Poco::Data::Session& s) {
      auto* statements = sql::GroupCommit::statements_for(s);
      statements->use("INSERT INTO flows VALUES (?, ?, 0)").bind(id).bind(who).run();
      statements->use("INSERT INTO messages VALUES (?, ?, 'pending')").bind(id).bind(body).run();
    });
  }
  const auto after = sql::wal_write_counts();
  if (state.range(0) == 1 && n > 0) {
    state.counters["log_writes_per_commit"] =
        static_cast<double>(after.issued - before.issued) / static_cast<double>(n);
  }
  sql::batch_wal_writes_by_default(true);
}
BENCHMARK(CommitAStartsRows)->ArgName("gathered")->Arg(0)->Arg(1)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
