#include "sql/group_commit.h"
#include "util/thread_name.h"

#include <Poco/Exception.h>

namespace linkgate::sql {
namespace {

using Poco::Data::Keywords::now;

constexpr std::size_t kMostPerTransaction = 512;

}  // namespace

GroupCommit::GroupCommit(Poco::Data::Session session)
    : session_(std::move(session)), writer_([this] {
        util::name_this_thread("lg-commit");
        write();
      }) {}

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
  {
    std::lock_guard lock(mutex_);
    waiting_.push_back(&call);
  }
  queued_.notify_one();
  std::unique_lock lock(call.mutex);
  call.finished.wait(lock, [&] { return call.done; });
  if (call.error) std::rethrow_exception(call.error);
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
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      queued_.wait(lock, [this] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping, and nothing left
      const std::size_t n = std::min(waiting_.size(), kMostPerTransaction);
      batch.assign(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
      waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<std::ptrdiff_t>(n));
    }
    commit(batch);
    {
      std::lock_guard lock(mutex_);
      ++transactions_;
      calls_ += batch.size();
    }
    for (Call* call : batch) {
      // Notified under the call's lock: the caller cannot return (and take the call off its
      // stack) before the notification is done with it.
      std::lock_guard lock(call->mutex);
      call->done = true;
      call->finished.notify_one();
    }
  }
}

void GroupCommit::commit(std::vector<Call*>& batch) {
  try {
    session_ << "BEGIN IMMEDIATE", now;
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
      session_ << "SAVEPOINT one_call", now;
      (*call->work)(session_);
      session_ << "RELEASE one_call", now;
    } catch (...) {
      call->error = std::current_exception();
      try {
        session_ << "ROLLBACK TO one_call", now;
        session_ << "RELEASE one_call", now;
      } catch (...) {
        broken = std::current_exception();
      }
    }
  }
  if (broken) {
    try {
      session_ << "ROLLBACK", now;
    } catch (...) {
    }
    for (Call* call : batch) {
      if (!call->error) call->error = broken;
    }
    return;
  }
  try {
    session_ << "COMMIT", now;
  } catch (...) {
    const auto failed = std::current_exception();
    try {
      session_ << "ROLLBACK", now;
    } catch (...) {
    }
    for (Call* call : batch) {
      if (!call->error) call->error = failed;
    }
  }
}

}  // namespace linkgate::sql
