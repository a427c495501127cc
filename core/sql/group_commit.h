#pragma once
// Group commit for SQLite: one writer thread owns one connection and runs the writes of every
// concurrent caller in one transaction, each in its own savepoint, then commits them together.
// SQLite allows one writer at a time; instead of each request taking the lock, waiting, retrying
// and syncing on its own, a batch of requests shares one lock and one commit. A call returns
// only after the commit that holds its rows, so durability is what it was.

#include <Poco/Data/Session.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sql/sqlite_statements.h"
#include "util/batch_wake.h"
#include "util/latency_counts.h"

namespace linkgate::sql {

class GroupCommit {
 public:
  using Work = std::function<void(Poco::Data::Session&)>;

  /// Takes @p session (a connection of its own, used by nothing else) and starts the writer.
  explicit GroupCommit(Poco::Data::Session session);
  /// Finishes what is queued, then stops the writer.
  ~GroupCommit();
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  /// Runs @p work in the writer's transaction and returns once it is committed. What @p work
  /// throws is rethrown here, and only its own changes are undone; when the commit fails, every
  /// call in the batch throws. Thread-safe; @p work must not start or end transactions itself.
  void run(const Work& work);

  /// What a submit() call learns once its work is settled: null when it is committed, otherwise
  /// what @p work threw or why the commit failed.
  using Done = std::function<void(std::exception_ptr)>;
  /// run() without waiting: @p work runs in a later transaction of the writer, and @p done is
  /// called on the writer's thread once that transaction is committed, or once @p work or the
  /// commit failed — exactly once, also for calls still queued when the writer stops. @p done
  /// must be quick (the next transaction waits for it) and must not throw. Thread-safe; never
  /// waits for the writer.
  void submit(Work work, Done done);

  /// Checkpoints every page of the log into the database file and truncates the log to nothing
  /// (wal_checkpoint TRUNCATE), on the writer's thread between two transactions: the writes
  /// queued meanwhile wait for its own work only, where from another connection it took the
  /// write lock and each commit slept in SQLite's busy handler until it was done (and it slept
  /// there itself until the writer let go). Returns false, at once, when a reader still uses
  /// the log or a checkpoint elsewhere is under way; try again later.
  /// Thread-safe; blocks until done. Throws what SQLite reports as an error.
  bool truncate_log();

  /// What a scrub_log() call found or did.
  struct Scrub {
    enum class By { nothing, zeroing, truncation };
    /// What took the last frames of an earlier call off the file during this call, if anything.
    By finished = By::nothing;
    /// Frames to take off are still in the file: call again.
    bool pending = false;
    bool operator==(const Scrub&) const = default;
  };

  /// Takes what was erased off the log's file without cutting it: has the file-system shim zero
  /// the log's stale frames after its next restart (sql/wal_write_batching.h, "Stale frames"),
  /// which under load comes within a second or so and costs the writer a write into the page
  /// cache per commit. @p more_erased: rows were erased since the last call, so frames written
  /// until now must go too. Not pending: no frame of the log as it was at the last call with
  /// @p more_erased is left in the file. When no zeroing pass has finished for
  /// @p patience while some are due (an idle log does not restart; readers can hold it), it
  /// falls back to truncate_log() — also when the shim does not write this connection's log.
  /// Run on the writer's thread between two transactions. Thread-safe; blocks until done.
  /// Throws what SQLite reports as an error.
  Scrub scrub_log(bool more_erased, std::chrono::milliseconds patience);

  /// The prepared statements of @p session when it is the connection of the writer running on
  /// this thread (inside a Work); null anywhere else (PostgreSQL, another thread).
  static SqliteStatements* statements_for(const Poco::Data::Session& session);

  /// Whether the calling thread is this writer's own (inside a Work or a submit() call's done).
  [[nodiscard]] bool runs_on_this_thread() const noexcept;

  /// How many transactions and calls so far (for tests and metrics).
  [[nodiscard]] std::size_t transactions() const;
  [[nodiscard]] std::size_t calls() const;

  /// For each run() call: how long it waited from being queued until the commit that holds it
  /// was done (the writer's side: the batch before it, its own batch, the commit).
  [[nodiscard]] const util::LatencyCounts& commit_waits() const { return commit_waits_; }
  /// For each run() call: how long from the end of its commit until its thread ran again — the
  /// kernel's delay in giving a woken thread a core, long when the machine's CPU is saturated.
  [[nodiscard]] const util::LatencyCounts& wake_delays() const { return wake_delays_; }

 private:
  // A commit wakes exactly the callers it holds, all with one system call (util::BatchWake): each
  // caller knows the number of the batch it will be in. A truncate_log() or scrub_log() call,
  // woken after its batch's callers once it is done, waits on its own condition.
  struct Call {
    const Work* work = nullptr;  // null: a truncate_log() or scrub_log() call
    Work owned_work;             // submit(): the work, and whom to tell (the call is the writer's)
    Done settled;
    std::chrono::steady_clock::time_point queued;
    bool scrub = false;  // scrub_log(): with these two
    bool more_erased = false;
    std::chrono::milliseconds patience{0};
    std::uint32_t batch = 0;
    bool truncated = false;
    Scrub scrubbed;
    std::exception_ptr error;
    std::mutex mutex;
    std::condition_variable finished;
    bool done = false;
  };
  void write();
  void wait_for(Call& call);
  void enqueue(Call& call);
  void commit(std::vector<Call*>& batch);
  bool truncate_without_waiting();
  Scrub scrub_without_waiting(const Call& call);
  static void finish(Call& call);

  void step(const char* statement);
  void note_finished(std::uint32_t batch) noexcept;
  void count_waits(const Call& call) noexcept;

  Poco::Data::Session session_;
  std::unique_ptr<SqliteStatements> statements_;  // finalized before session_ closes
  int busy_timeout_ms_ = 0;                       // the session's, restored after a truncate
  mutable std::mutex mutex_;
  std::condition_variable queued_;
  std::vector<Call*> waiting_;
  std::uint32_t next_batch_ = 1;  // the batch the first call waiting will be in
  util::BatchWake batches_;
  bool stopping_ = false;
  std::size_t transactions_ = 0;
  std::size_t calls_ = 0;
  // scrub_log() on the writer's thread: the generation of the log every frame up to which must
  // go (-1: none), and since when no pass has finished while it waited.
  std::int64_t scrub_target_ = -1;
  std::uint64_t passes_seen_ = 0;
  std::chrono::steady_clock::time_point scrub_waiting_since_;
  // When each of the last batches was done, for its callers to measure their two waits by: the
  // batch number's low 16 bits, then microseconds since started_ (a caller that finds another
  // batch in its slot, 64 or more batches behind, leaves its waits uncounted).
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::array<std::atomic<std::uint64_t>, 64> finished_at_{};
  util::LatencyCounts commit_waits_;
  util::LatencyCounts wake_delays_;
  std::thread writer_;
};

}  // namespace linkgate::sql
