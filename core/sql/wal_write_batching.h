#pragma once
// SQLite writes each frame of its write-ahead log with two pwrite(2) calls (the frame's 24-byte
// header, then the page), so a commit of seven pages is fourteen system calls — on a virtual
// machine where a system call costs microseconds, the largest part of the writer's time. This
// file system shim, in front of SQLite's own ("unix"), gathers the frames a connection appends
// to a log file and writes them with one pwrite when the transaction's commit frame is complete:
// what reaches the file, and when, is unchanged for everything that can observe it. Other files
// (databases, journals) pass straight through.
//
// Why it is safe. SQLite makes a commit visible (in the log's shared index) only after the write
// of its commit frame returns, and by then the whole transaction is in the file. Frames not yet
// written are of a transaction not yet committed, which a crash would discard anyway (SQLite's
// recovery stops at the last valid commit frame). Before anything else touches the file — a
// read, a write elsewhere (SQLite rewrites a frame in place when a transaction changes a page
// twice), a sync, a truncation, its size, a lock, closing it — the gathered frames are written
// first, so SQLite never sees the file differ from what it wrote.

namespace linkgate::sql {

/// Makes the shim SQLite's default file system for this process (registered once; a later call
/// makes it the default again if something else became the default meanwhile),
/// so that every connection opened afterwards — the core's and the plugins' — uses it. Called
/// by tune_sqlite_for_this_process() (sql/sqlite_process.h), first thing in the executable's
/// main(), after its restart of SQLite (which makes SQLite's own the default again), and never
/// from a plugin: SQLite keeps a pointer to the file system for the life of
/// the process, and a plugin's library can be unloaded; a second copy registered from a plugin
/// would also wrap the first. Throws std::runtime_error if SQLite refuses to register it.
/// Thread-safe.
void use_batched_wal_writes();

/// For tests and benchmarks that compare: after use_batched_wal_writes(), makes the shim (true)
/// or SQLite's own file system (false) the default for the connections opened from then on.
/// Thread-safe; connections already open keep theirs.
void batch_wal_writes_by_default(bool on);

/// How many pwrite(2) calls the shim has made to log files in this process, and how many frame
/// writes SQLite asked of it: for tests and benchmarks.
struct WalWriteCounts {
  unsigned long long asked = 0;   // xWrite calls on log files
  unsigned long long issued = 0;  // pwrite calls they became
};
[[nodiscard]] WalWriteCounts wal_write_counts();

}  // namespace linkgate::sql
