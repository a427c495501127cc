// The outbox worker's cycle — claim a batch, mark each message sent — on an empty table and on
// one holding 1,000,000 delivered messages of history (within the retention, so not purged yet),
// next to the claim statement linkgate used before (one OR over two conditions, then a second
// look-up by claim), on the same tables in the same run.
//   build/outbox_bench --benchmark_min_time=1

#include <Poco/Data/Session.h>
#include <benchmark/benchmark.h>

#include "outbox/outbox_store.h"
#include "sql/database.h"
#include "support/temp_dir.h"
#include "util/base64url.h"
#include "util/crypto.h"

namespace {

using namespace linkgate;
using namespace Poco::Data::Keywords;

struct Table {
  testing::TempDir dir;
  std::shared_ptr<sql::Database> db;
  std::unique_ptr<outbox::OutboxStore> store;
  std::int64_t next = 0;
  explicit Table(int history) {
    db = sql::Database::open("sqlite:" + dir.file("outbox.db"));
    store = std::make_unique<outbox::OutboxStore>(db);
    auto lease = db->session();
    *lease << "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < " +
                  std::to_string(history) +
                  ") INSERT INTO lg_outbox (id, flow_id, kind, recipient, locale, subject, text,"
                  " html, link, code, state, attempts, channel_index, next_attempt_at,"
                  " expires_at, created_at, updated_at)"
                  " SELECT 'old' || x, 'f' || x, 0, '', 'en', '', '', '', '', '', 'sent', 1, 0,"
                  " 1000 + x, 2000 + x, 1000 + x, 1000 + x FROM n",
        now;
  }
  static Table& with(int history) {
    static std::map<int, std::unique_ptr<Table>> tables;
    auto& t = tables[history];
    if (!t) t = std::make_unique<Table>(history);
    return *t;
  }
  void enqueue(int count, std::int64_t when) {
    for (int i = 0; i < count; ++i) {
      outbox::OutboxMessage m;
      m.id = "m" + std::to_string(++next);
      m.flow_id = "flow";
      m.recipient = "a@example.com";
      m.subject = "Sign in";
      m.text = "https://example.com/verify?token=abc";
      m.link = m.text;
      m.code = "123456";
      m.expires_at = when + 900;
      store->enqueue(m, when);
    }
  }
};

constexpr std::int64_t kNow = 2'000'000'000;

void BM_ClaimBatchAndMark(benchmark::State& state) {
  auto& table = Table::with(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    table.enqueue(8, kNow);
    state.ResumeTiming();
    auto batch = table.store->claim_batch(kNow, 60, 8);
    if (!batch.ok() || batch->size() != 8) state.SkipWithError("claim failed");
    for (const auto& m : batch.value()) table.store->mark_sent(m.id, kNow);
  }
  state.SetItemsProcessed(state.iterations() * 8);
}
BENCHMARK(BM_ClaimBatchAndMark)->Arg(0)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

// What the worker did before: one message per claim, found by an OR over both conditions and
// ordered by a sort, then read back by its claim (a column no index covers).
void BM_PreviousClaimAndMark(benchmark::State& state) {
  auto& table = Table::with(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    state.PauseTiming();
    table.enqueue(1, kNow);
    state.ResumeTiming();
    auto lease = table.db->session();
    std::string claim = util::base64url_encode(util::random_bytes(12));
    std::int64_t now_s = kNow, until = kNow + 60;
    *lease << "UPDATE lg_outbox SET state = 'sending', claim = ?, lease_until = ?, attempts ="
              " attempts + 1, updated_at = ? WHERE id = (SELECT id FROM lg_outbox"
              " WHERE (state = 'pending' AND next_attempt_at <= ?) OR (state = 'sending' AND"
              " lease_until <= ?) ORDER BY next_attempt_at LIMIT 1)"
              " AND ((state = 'pending' AND next_attempt_at <= ?) OR (state = 'sending' AND"
              " lease_until <= ?))",
        useRef(claim), use(until), use(now_s), use(now_s), use(now_s), use(now_s), use(now_s), now;
    std::string id;
    *lease << "SELECT id FROM lg_outbox WHERE claim = ?", useRef(claim), into(id), now;
    if (id.empty()) state.SkipWithError("claim failed");
    table.store->mark_sent(id, kNow);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PreviousClaimAndMark)->Arg(0)->Arg(1'000'000)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
