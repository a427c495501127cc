#pragma once
// The core store's commit waits on /metrics: what a request waiting for its SQLite commit spends
// in the writer's queue and commit, and then waiting for a core to run on again.

#include <memory>

#include "host/metrics.h"
#include "sql/database.h"

namespace linkgate::wiring {

/// Renders @p database's group-commit counts with every /metrics from now on, in place of any
/// store reported before (a reload's new store replaces the old one's). Nothing is rendered
/// while @p database is a PostgreSQL store or no longer exists.
void report_commits(host::MetricsRegistry& metrics, std::weak_ptr<sql::Database> database);

}  // namespace linkgate::wiring
