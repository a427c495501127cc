#include "wiring/commit_metrics.h"

#include <string>

namespace linkgate::wiring {

void report_commits(host::MetricsRegistry& metrics, std::weak_ptr<sql::Database> database) {
  metrics.set_source("core_store_commits", [database = std::move(database)]() -> std::string {
    const auto db = database.lock();
    const sql::GroupCommit* commits = db ? db->group_commit() : nullptr;
    if (commits == nullptr) return "";
    return host::render_counter("linkgate_sqlite_commits_total",
                                "Transactions the core store's SQLite writer committed",
                                static_cast<double>(commits->transactions())) +
           host::render_counter("linkgate_sqlite_commit_writes_total",
                                "Writes those transactions held (one per start, claim, outcome "
                                "batch...): divided by the commits, the writes per commit",
                                static_cast<double>(commits->calls())) +
           host::render_histogram("linkgate_sqlite_commit_wait_seconds",
                                  "Time a write waited from being queued until the commit "
                                  "holding it was done",
                                  commits->commit_waits().read()) +
           host::render_histogram("linkgate_sqlite_commit_wake_seconds",
                                  "Time from the end of a write's commit until its thread ran "
                                  "again: long when the CPU is saturated",
                                  commits->wake_delays().read());
  });
}

}  // namespace linkgate::wiring
