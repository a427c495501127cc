#pragma once

namespace linkgate::sql {

/// Sets SQLite up for a process that gives each connection to one thread at a time (the pool's
/// leases, the group-commit writer): multi-thread mode, so a connection's calls take no mutex,
/// and no global memory statistics, whose one mutex every SQLite allocation of every thread
/// would otherwise take. Then makes the log-batching file system SQLite's default
/// (use_batched_wal_writes(), sql/wal_write_batching.h). Must run before the process opens any
/// SQLite database (first thing in main()); false when it is too late (SQLite left as it was) or
/// the file system could not be registered. Not thread-safe.
bool tune_sqlite_for_this_process();

}  // namespace linkgate::sql
