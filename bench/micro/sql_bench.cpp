// One statement of the hot path (the revocation look-up GET /v1/session makes, and the flow
// read a redeem makes) run through Poco Data — prepared anew on each execution — and through the
// connection's cache of prepared statements (sql::SqliteStatements), on the same table in the
// same run; plus sqlite3_prepare_v2 alone, what the cache saves per execution. And a sign-in
// start's write — a flow and its message committed by the group-commit writer, one call at a
// time — with the log's frames written as SQLite writes them (two system calls each) and
// gathered into one write per commit (sql/wal_write_batching.h). And the rows a start and its
// delivery write, through the real stores' statements, 64 to a transaction on the writer (the
// time per row is all the writer's): a message inserted and finished under the finished-message
// index written as the store writes it and as it was written before (an IN list), and a start's
// supersede in one UPDATE and in the two steps the writer runs. And 16 threads committing small
// rows at once through the group-commit writer: the process's CPU per call, waking callers
// included. And what counting a write's two waits for /metrics costs it. And the least database
// work of a sign-in start and its delivery (a floor, for bench/http/model.sh FLOOR=1). SQLite is
// set up as the server sets it up (main, below).
//   build/sql_bench --benchmark_min_time=1

#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "flow/flow_store.h"
#include "outbox/outbox_store.h"
#include "process_cpu.h"
#include "sql/database.h"
#include "sql/sqlite_process.h"
#include "sql/wal_write_batching.h"
#include "support/temp_dir.h"
#include "util/crypto.h"
#include "util/latency_counts.h"
#include "util/unique_ids.h"

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

// What each of those writes pays to count its two waits for /metrics, as GroupCommit does it:
// two clock readings and two util::LatencyCounts::record calls (the call's look at when its batch
// was done, one atomic load, is left out; the writer's note is one store per batch).
void CountAWritesWaits(benchmark::State& state) {
  util::LatencyCounts waits, wakes;
  for (auto _ : state) {
    const auto queued = std::chrono::steady_clock::now();
    const auto back = std::chrono::steady_clock::now();
    waits.record(back - queued);
    wakes.record(back - queued);
  }
  benchmark::DoNotOptimize(waits.read());
  benchmark::DoNotOptimize(wakes.read());
}
BENCHMARK(CountAWritesWaits);

std::map<std::string, std::string> by_name(
    const std::vector<std::pair<std::string, std::string>>& statements) {
  return {statements.begin(), statements.end()};
}

constexpr int kRowsPerTransaction = 64;

void AMessageInsertedAndFinished(benchmark::State& state) {
  testing::TempDir dir;
  auto db = sql::Database::open("sqlite:" + dir.file("outbox.db"));
  const auto statements = by_name(outbox::OutboxStore(db).statements());
  if (state.range(0) == 1) {
    auto lease = db->session();
    *lease << "DROP INDEX lg_outbox_ended", now;
    *lease << "CREATE INDEX lg_outbox_finished ON lg_outbox (state, updated_at)"
              " WHERE state IN ('sent', 'dead', 'suppressed')",
        now;
  }
  const std::string body(3000, 'x');
  std::uint64_t n = 0;
  while (state.KeepRunningBatch(kRowsPerTransaction)) {
    db->write([&](Poco::Data::Session& s) {
      auto* cached = sql::GroupCommit::statements_for(s);
      for (int i = 0; i < kRowsPerTransaction; ++i, ++n) {
        const std::string id = std::to_string(1'000'000'000 + n);
        auto insert = cached->use(statements.at("insert"));
        insert.bind(id).bind(id).bind(std::int64_t{0}).bind("a@example.com").bind("en");
        insert.bind("subject").bind(body).bind(body).bind("link").bind("code");
        // attempts, channel, due, expiry, created, updated
        insert.bind(std::int64_t{0}).bind(std::int64_t{0}).bind(std::int64_t{0});
        insert.bind(std::int64_t{4'000'000'000}).bind(std::int64_t{0}).bind(std::int64_t{0}).run();
        cached->use(statements.at("finish"))
            .bind("sent")
            .bind("")
            .bind(std::int64_t{1})
            .bind(id)
            .run();
      }
    });
  }
}
BENCHMARK(AMessageInsertedAndFinished)->ArgName("in_list")->Arg(0)->Arg(1);

void AStartSupersedes(benchmark::State& state) {
  testing::TempDir dir;
  auto db = sql::Database::open("sqlite:" + dir.file("flows.db"));
  const auto statements = by_name(flow::SqlFlowRepository(db).statements());
  {
    auto lease = db->session();
    *lease
        << "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100000)"
           " INSERT INTO lg_flows (id, identifier_key, identifier_kind, identifier, subject,"
           " redirect_uri, code_mac, state, created_at, expires_at, device, deliverable)"
           " SELECT 'f' || x, 'k' || x, 0, 'a', '', '', '', 'pending', 0, 4000000000, '', 1 FROM n",
        now;
  }
  std::uint64_t n = 0;
  while (state.KeepRunningBatch(kRowsPerTransaction)) {
    db->write([&](Poco::Data::Session& s) {
      auto* cached = sql::GroupCommit::statements_for(s);
      for (int i = 0; i < kRowsPerTransaction; ++i, ++n) {
        const std::string key = "k" + std::to_string(1 + (n * 7919) % 100'000);
        cached->use(statements.at("supersede")).bind(key).bind(std::int64_t{2'000'000'000}).run();
      }
    });
  }
}
BENCHMARK(AStartSupersedes);

// The least database work a sign-in start and its delivery need, as the shipped stores do it:
// per start, the supersede of the address's live pending flows (none: each address is new), the
// flow's row and its message's row (an e-mail: link and code, nothing rendered), stored held for
// the outbox worker the start hands it to in memory; per message, its share of the outcomes'
// write that erases it (no claim: the hand-off's). 64 starts to a transaction and 64 outcomes to
// a write — more than a commit gathers at full speed (about 20), so this errs low —
// with one hand-off to the writer per transaction and no file or log: a floor for what a server of
// the shape the performance issue requires spends on its database per start (bench/http/model.sh,
// FLOOR=1). CPU is the process's: the writer's and the checkpoints' the writes cause (the bench's
// own thread only waits); the time is the writer's.
void AStartsRowsAndTheirDelivery(benchmark::State& state) {
  testing::TempDir dir;
  auto db = sql::Database::open("sqlite:" + dir.file("start.db"));
  auto outbox = std::make_shared<outbox::OutboxStore>(db);
  const flow::SqlFlowRepository flows(db, outbox);
  const auto statement = by_name(flows.statements());
  const bool delivered = state.range(0) == 1;
  const std::string link =
      "https://auth.example.com/v1/magic-links/confirm?token=" + std::string(300, 'x');
  std::int64_t now_s = 2'000'000'000, n = 0;
  std::vector<outbox::Outcome> outcomes;
  while (state.KeepRunningBatch(kRowsPerTransaction)) {
    outcomes.clear();
    db->write([&](Poco::Data::Session& s) {
      auto* cached = sql::GroupCommit::statements_for(s);
      for (int i = 0; i < kRowsPerTransaction; ++i, ++n) {
        const std::string id = util::time_ordered_id(util::random_bytes(16));
        const std::string key = util::to_hex(util::random_bytes(32));
        {
          auto supersede = cached->use(statement.at("supersede"));
          supersede.bind(key).bind(now_s).run();
          if (supersede.changes() != 0) state.SkipWithError("a fresh address had a pending flow");
        }
        cached->use(statement.at("insert"))
            .bind(id)
            .bind(key)
            .bind(std::int64_t{0})
            .bind("user" + std::to_string(n) + "@example.com")
            .bind("")
            .bind("")
            .bind(util::to_hex(util::random_bytes(32)))
            .bind(std::int64_t{0})
            .bind("pending")
            .bind(now_s)
            .bind(now_s + 900)
            .bind("")
            .bind(std::int64_t{1})
            .bind("")
            .run();
        outbox::OutboxMessage m;
        m.id = util::time_ordered_id(util::random_bytes(16));
        m.flow_id = id;
        m.recipient = "user" + std::to_string(n) + "@example.com";
        m.locale = "en";
        m.link = link;
        m.code = "123456";
        m.expires_at = now_s + 900;
        m.held_until = now_s + 60;
        outbox->insert(s, m, now_s);
        outcomes.push_back({outbox::Outcome::Kind::sent, m.id, "", 0, 0});
      }
    });
    if (!delivered) continue;
    if (!outbox->record(outcomes, now_s).ok()) state.SkipWithError("the outcomes were not kept");
  }
  if (delivered && !outcomes.empty()) {
    auto last = outbox->state_of(outcomes.back().id);
    if (!last.ok() || last->first != "sent") state.SkipWithError("an outcome found no message");
  }
}
BENCHMARK(AStartsRowsAndTheirDelivery)
    ->ArgName("delivered")
    ->Arg(0)
    ->Arg(1)
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

void ManyCallersCommit(benchmark::State& state) {
  const auto threads = static_cast<int>(state.range(0));
  constexpr int kCallsEach = 200;
  testing::TempDir dir;
  auto db = sql::Database::open("sqlite:" + dir.file("many.db"));
  {
    auto lease = db->session();
    *lease << "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)", now;
  }
  double cpu = 0;
  std::int64_t calls = 0;
  const auto insert = [&db] {
    db->write([](Poco::Data::Session& s) {
      sql::GroupCommit::statements_for(s)->use("INSERT INTO t (v) VALUES ('row')").run();
    });
  };
  for (auto _ : state) {
    cpu += bench::cpu_of_calls_on_threads(threads, kCallsEach, insert);
    calls += threads * kCallsEach;
  }
  state.counters["cpu_us_per_call"] = cpu * 1e6 / static_cast<double>(calls);
  state.counters["calls_per_commit"] = static_cast<double>(db->group_commit()->calls()) /
                                       static_cast<double>(db->group_commit()->transactions());
  state.SetItemsProcessed(calls);
}
BENCHMARK(ManyCallersCommit)
    ->ArgName("threads")
    ->Arg(16)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

// SQLite set up as the server sets it up (sql/sqlite_process.h) before any connection opens:
// without its mutexes, and with the log's frames gathered.
int main(int argc, char** argv) {
  if (!sql::tune_sqlite_for_this_process()) {
    std::fprintf(stderr, "sql_bench: SQLite could not be set up as the server sets it up\n");
    return 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
