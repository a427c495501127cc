#include "sql/group_commit.h"
#include "util/blocking.h"
#include "util/thread_name.h"

#include <Poco/Exception.h>

namespace linkgate::sql {
namespace {

constexpr std::size_t kMostPerTransaction = 512;

thread_local const GroupCommit* writer_here = nullptr;

}  // namespace

GroupCommit::GroupCommit(Poco::Data::Session session)
    : session_(std::move(session)),
      statements_(std::make_unique<SqliteStatements>(session_)),
      writer_([this] {
        util::name_this_thread("lg-commit");
        writer_here = this;
        write();
      }) {}

SqliteStatements* GroupCommit::statements_for(const Poco::Data::Session& session) {
  if (writer_here == nullptr || &writer_here->session_ != &session) return nullptr;
  return writer_here->statements_.get();
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
  {
    std::lock_guard lock(mutex_);
    waiting_.push_back(&call);
  }
  queued_.notify_one();
  util::about_to_block();
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
