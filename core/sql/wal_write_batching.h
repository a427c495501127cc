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

#include <cstdint>
#include <optional>

struct sqlite3;

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
  unsigned long long zeroed = 0;  // bytes of stale log frames overwritten with zeros
};
[[nodiscard]] WalWriteCounts wal_write_counts();

// Stale frames. When SQLite starts its log over (every frame copied into the database file, no
// reader using any), it writes the new frames from the start of the file and leaves the old
// ones past them — page images of rows since deleted or erased, until written over. On request
// the shim zeroes them: each time the connection that writes the log lets go of its write lock
// (so no other connection, of this process or another, can be writing), 124 KiB of them, from
// the file's size at the first restart after the request down to the end of the last commit
// (which rises meanwhile as new frames write over the old ones themselves). What
// is past the last commit is never live (SQLite reads only up to it, and its recovery stops at
// the first frame whose header does not match), so this is safe at any moment the lock is
// held. A truncation to nothing (wal_checkpoint TRUNCATE) counts as every generation gone.

/// What the shim knows of one connection's log (see "Stale frames" above).
struct StaleLogFrames {
  std::int64_t generation = 0;     // how many times this connection started the log
  std::int64_t gone_through = -1;  // no frame of a generation up to this is left in the file
  std::uint64_t passes = 0;        // zeroing passes finished
  bool zeroing = false;            // a pass under way
};

/// The log of @p db's main database as the shim writes it; nullopt when it does not (opened
/// through another file system, or with its database file unknown to the shim) or when no log
/// is open yet. Call only on the thread using @p db, between its statements.
[[nodiscard]] std::optional<StaleLogFrames> stale_log_frames(sqlite3* db);

/// Asks for the frames of generations up to @p generation to be zeroed: a pass begins at the
/// first release of the write lock after the log next starts over, and goes on with each
/// release until done (StaleLogFrames::gone_through then reaches @p generation). False when the
/// shim does not write this log (stale_log_frames() is nullopt). Same thread rule as above.
bool zero_stale_log_frames_after(sqlite3* db, std::int64_t generation);

}  // namespace linkgate::sql
