#include "sql/group_commit.h"
#include "sql/wal_write_batching.h"
#include "util/blocking.h"
#include "util/thread_name.h"

#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Exception.h>
#include <sqlite3.h>

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <string>

namespace linkgate::sql {
namespace {

constexpr std::size_t kMostPerTransaction = 512;

thread_local const GroupCommit* writer_here = nullptr;

}  // namespace

GroupCommit::GroupCommit(Poco::Data::Session session)
    : session_(std::move(session)),
      statements_(std::make_unique<SqliteStatements>(session_)),
      busy_timeout_ms_([this] {
        int ms = 0;
        session_ << "PRAGMA busy_timeout", Poco::Data::Keywords::into(ms),
            Poco::Data::Keywords::now;
        return ms;
      }()),
      writer_([this] {
        util::name_this_thread("lg-commit");
        writer_here = this;
        write();
      }) {}

SqliteStatements* GroupCommit::statements_for(const Poco::Data::Session& session) {
  if (writer_here == nullptr || &writer_here->session_ != &session) return nullptr;
  return writer_here->statements_.get();
}

bool GroupCommit::runs_on_this_thread() const noexcept {
  return writer_here == this;
}

void GroupCommit::step(const char* statement) {
  statements_->use(statement).run();
}

GroupCommit::~GroupCommit() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  queued_.notify_all();
  writer_.join();
}

void GroupCommit::run(const Work& work) {
  Call call;
  call.work = &work;
  wait_for(call);
}

bool GroupCommit::truncate_log() {
  Call call;
  wait_for(call);
  return call.truncated;
}

GroupCommit::Scrub GroupCommit::scrub_log(bool more_erased, std::chrono::milliseconds patience) {
  Call call;
  call.scrub = true;
  call.more_erased = more_erased;
  call.patience = patience;
  wait_for(call);
  return call.scrubbed;
}

void GroupCommit::submit(Work work, Done done) {
  auto call = std::make_unique<Call>();
  call->owned_work = std::move(work);
  call->work = &call->owned_work;
  call->settled = done ? std::move(done) : [](std::exception_ptr) {};
  enqueue(*call);
  call.release();  // the writer's now: deleted once done() has run
}

void GroupCommit::enqueue(Call& call) {
  call.queued = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mutex_);
    // The writer takes up to kMostPerTransaction calls from the front at a time.
    call.batch = next_batch_ + static_cast<std::uint32_t>(waiting_.size() / kMostPerTransaction);
    waiting_.push_back(&call);
  }
  queued_.notify_one();
}

void GroupCommit::wait_for(Call& call) {
  enqueue(call);
  util::about_to_block();
  if (call.work == nullptr) {
    std::unique_lock lock(call.mutex);
    call.finished.wait(lock, [&] { return call.done; });
  } else {
    batches_.wait(call.batch);
    count_waits(call);
  }
  if (call.error) std::rethrow_exception(call.error);
}

void GroupCommit::note_finished(std::uint32_t batch) noexcept {
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                          std::chrono::steady_clock::now() - started_)
                          .count();
  finished_at_[batch % finished_at_.size()].store(
      (static_cast<std::uint64_t>(batch & 0xFFFFu) << 48) |
          (static_cast<std::uint64_t>(micros) & 0xFFFF'FFFF'FFFFu),
      std::memory_order_relaxed);
}

void GroupCommit::count_waits(const Call& call) noexcept {
  const auto back = std::chrono::steady_clock::now();
  const std::uint64_t noted =
      finished_at_[call.batch % finished_at_.size()].load(std::memory_order_relaxed);
  if ((noted >> 48) != (call.batch & 0xFFFFu)) return;
  const auto finished = started_ + std::chrono::microseconds(noted & 0xFFFF'FFFF'FFFFu);
  commit_waits_.record(finished - call.queued);
  wake_delays_.record(back - finished);
}

void GroupCommit::finish(Call& call) {
  // Notified under the call's lock: the caller cannot return (and take the call off its
  // stack) before the notification is done with it.
  std::lock_guard lock(call.mutex);
  call.done = true;
  call.finished.notify_one();
}

bool GroupCommit::truncate_without_waiting() {
  sqlite3* db = Poco::Data::SQLite::Utility::dbHandle(session_);
  // No busy handler for this one call: a reader or a checkpoint in the way makes it give up at
  // once instead of holding every write back while it waits.
  sqlite3_busy_timeout(db, 0);
  int log_frames = 0, copied = 0;
  const int rc =
      sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_TRUNCATE, &log_frames, &copied);
  sqlite3_busy_timeout(db, busy_timeout_ms_);
  if (rc == SQLITE_BUSY) return false;
  if (rc != SQLITE_OK) {
    throw std::runtime_error(std::string("truncating the log: ") + sqlite3_errstr(rc));
  }
  return true;
}

GroupCommit::Scrub GroupCommit::scrub_without_waiting(const Call& call) {
  using By = Scrub::By;
  sqlite3* db = Poco::Data::SQLite::Utility::dbHandle(session_);
  const auto log = stale_log_frames(db);
  if (!log) {
    // No log open yet (then nothing was written to it), or one the shim does not write.
    if (truncate_without_waiting()) return {By::truncation, false};
    return {By::nothing, true};
  }
  const auto now = std::chrono::steady_clock::now();
  Scrub scrub;
  // What was asked before is done: said so even when more was erased since (under load, always).
  if (scrub_target_ >= 0 && log->gone_through >= scrub_target_) {
    scrub_target_ = -1;
    scrub.finished = By::zeroing;
  }
  if (call.more_erased) {
    if (scrub_target_ < 0) {
      scrub_waiting_since_ = now;
      passes_seen_ = log->passes;
    }
    scrub_target_ = std::max(scrub_target_, log->generation);
    zero_stale_log_frames_after(db, scrub_target_);
  }
  if (scrub_target_ < 0) return scrub;
  if (log->passes != passes_seen_) {
    passes_seen_ = log->passes;
    scrub_waiting_since_ = now;
  }
  if (now - scrub_waiting_since_ < call.patience || !truncate_without_waiting()) {
    scrub.pending = true;
    return scrub;
  }
  scrub_target_ = -1;
  return {By::truncation, false};
}

std::size_t GroupCommit::transactions() const {
  std::lock_guard lock(mutex_);
  return transactions_;
}

std::size_t GroupCommit::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

void GroupCommit::write() {
  std::vector<Call*> batch;
  std::vector<Call*> submitted;
  for (;;) {
    std::uint32_t number = 0;
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping, and nothing left
      const std::size_t n = std::min(waiting_.size(), kMostPerTransaction);
      batch.assign(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
      waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
      number = next_batch_++;
    }
    // Truncations and scrubs after the batch's commit (they take its pages too) and after its
    // callers are woken: none of them waits for a checkpoint it did not ask for.
    const auto log_calls_start = std::stable_partition(
        batch.begin(), batch.end(), [](const Call* call) { return call->work != nullptr; });
    std::vector<Call*> log_calls(log_calls_start, batch.end());
    batch.erase(log_calls_start, batch.end());
    if (!batch.empty()) {
      commit(batch);
      {
        std::lock_guard lock(mutex_);
        ++transactions_;
        calls_ += batch.size();
      }
    }
    // After every result of the batch is written: its callers may return at once (and take
    // their calls with them), so the submitted calls are set apart first.
    submitted.clear();
    for (Call* call : batch) {
      if (call->settled) submitted.push_back(call);
    }
    note_finished(number);
    batches_.finish(number);
    const auto now = std::chrono::steady_clock::now();
    for (Call* call : submitted) {
      commit_waits_.record(now - call->queued);
      try {
        call->settled(call->error);
      } catch (...) {
        // Against its contract; the writer carries on with the next batch.
      }
      delete call;
    }
    std::optional<bool> truncated;  // one truncation answers every truncate_log() call here
    for (Call* call : log_calls) {
      try {
        if (call->scrub) {
          call->scrubbed = scrub_without_waiting(*call);
        } else {
          if (!truncated) truncated = truncate_without_waiting();
          call->truncated = *truncated;
        }
      } catch (...) {
        call->error = std::current_exception();
      }
      finish(*call);
    }
  }
}

void GroupCommit::commit(std::vector<Call*>& batch) {
  try {
    step("BEGIN IMMEDIATE");
  } catch (...) {
    for (Call* call : batch) call->error = std::current_exception();
    return;
  }
  std::exception_ptr broken;  // the transaction itself is gone: nothing in it can commit
  for (Call* call : batch) {
    if (broken) {
      call->error = broken;
      continue;
    }
    try {
      step("SAVEPOINT one_call");
      (*call->work)(session_);
      step("RELEASE one_call");
    } catch (...) {
      call->error = std::current_exception();
      try {
        step("ROLLBACK TO one_call");
        step("RELEASE one_call");
      } catch (...) {
        broken = std::current_exception();
      }
    }
  }
  if (broken) {
    try {
      step("ROLLBACK");
    } catch (...) {
    }
    for (Call* call : batch) {
      if (!call->error) call->error = broken;
    }
    return;
  }
  try {
    step("COMMIT");
  } catch (...) {
    const auto failed = std::current_exception();
    try {
      step("ROLLBACK");
    } catch (...) {
    }
    for (Call* call : batch) {
      if (!call->error) call->error = failed;
    }
  }
}

}  // namespace linkgate::sql
