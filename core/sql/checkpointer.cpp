#include "sql/checkpointer.h"

#include <Poco/Data/SQLite/Utility.h>
#include <sqlite3.h>

#include "util/thread_name.h"

namespace linkgate::sql {

namespace {

Poco::Data::Session synced_normally(Poco::Data::Session session) {
  // A checkpoint syncs the log and the database file; NORMAL is what the writer commits with.
  session << "PRAGMA synchronous=NORMAL", Poco::Data::Keywords::now;
  return session;
}

}  // namespace

Checkpointer::Checkpointer(Poco::Data::Session own, Poco::Data::Session writer, int threshold)
    : own_(synced_normally(std::move(own))),
      own_db_(Poco::Data::SQLite::Utility::dbHandle(own_)),
      writer_(std::move(writer)),
      writer_db_(Poco::Data::SQLite::Utility::dbHandle(writer_)),
      threshold_(threshold),
      thread_([this] { run(); }) {
  // Replaces the automatic checkpoint (itself a WAL hook) on the writer's connection.
  sqlite3_wal_hook(writer_db_, &Checkpointer::on_commit, this);
}

Checkpointer::~Checkpointer() {
  sqlite3_wal_hook(writer_db_, nullptr, nullptr);
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  due_.notify_one();
  thread_.join();
}

std::size_t Checkpointer::checkpoints() const {
  std::lock_guard lock(mutex_);
  return checkpoints_;
}

std::size_t Checkpointer::checkpoints_on_the_writer() const {
  std::lock_guard lock(mutex_);
  return on_the_writer_;
}

int Checkpointer::on_commit(void* self, sqlite3* writer, const char*, int frames) {
  auto* c = static_cast<Checkpointer*>(self);
  if (frames < c->threshold_) return SQLITE_OK;
  if (frames >= kBehind * c->threshold_) {
    // The log starts over only at a transaction that finds all of it copied, and commits that
    // land during a checkpoint keep a busy writer from ever finding that: the log would grow
    // without end. So, as SQLite's own hook would, finish it here (most of the copying was
    // done by the thread already) — after the thread's checkpoint, if one is under way: of two
    // at once, one finds the log busy and copies nothing.
    c->checkpoint(writer, c->on_the_writer_);
    return SQLITE_OK;
  }
  {
    std::lock_guard lock(c->mutex_);
    if (c->wanted_) return SQLITE_OK;
    c->wanted_ = true;
  }
  c->due_.notify_one();
  return SQLITE_OK;
}

void Checkpointer::run() {
  util::name_this_thread("lg-checkpoint");
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      due_.wait(lock, [this] { return stopping_ || wanted_; });
      if (stopping_) return;
      wanted_ = false;
    }
    checkpoint(own_db_, checkpoints_);
  }
}

void Checkpointer::checkpoint(sqlite3* db, std::size_t& count) {
  {
    // PASSIVE: copies what no reader still needs, without waiting for readers or the writer.
    // What it cannot copy yet is copied by the next one; a busy result is no error here.
    std::lock_guard one_at_a_time(checkpointing_);
    int log = 0, copied = 0;
    sqlite3_wal_checkpoint_v2(db, "main", SQLITE_CHECKPOINT_PASSIVE, &log, &copied);
  }
  std::lock_guard lock(mutex_);
  ++count;
}

}  // namespace linkgate::sql
