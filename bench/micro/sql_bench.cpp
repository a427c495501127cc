// One statement of the hot path (the revocation look-up GET /v1/session makes, and the flow
// read a redeem makes) run through Poco Data — prepared anew on each execution — and through the
// connection's cache of prepared statements (sql::SqliteStatements), on the same table in the
// same run; plus sqlite3_prepare_v2 alone, what the cache saves per execution.
//   build/sql_bench --benchmark_min_time=1

#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include "sql/database.h"
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

}  // namespace

BENCHMARK_MAIN();
