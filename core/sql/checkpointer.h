#pragma once
// Copies a SQLite database's write-ahead log into the database file on a thread of its own.
//
// SQLite's own automatic checkpoint runs inside the COMMIT that crosses its threshold: the
// group-commit writer would stop for the copy and its fsyncs while every request waiting on it
// stood still. Here the writer only counts (a WAL hook, after each commit) and, past the
// threshold, wakes this thread, whose PASSIVE checkpoint runs beside further commits. Should the
// log still reach kBehind times the threshold, the writer finishes the checkpoint itself.

#include <Poco/Data/Session.h>

#include <condition_variable>
#include <mutex>
#include <thread>

struct sqlite3;

namespace linkgate::sql {

class Checkpointer {
 public:
  /// Checkpoints through @p own (a connection of its own) whenever the log, as reported by the
  /// hook installed on @p writer, holds @p threshold frames or more. Install it before the
  /// writer's connection is used by another thread; it keeps that connection open until the
  /// hook is gone.
  Checkpointer(Poco::Data::Session own, Poco::Data::Session writer, int threshold);
  /// Removes the hook, then ends the thread (a checkpoint under way finishes first).
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  /// Checkpoints this thread finished (all or part of the log copied), for tests.
  [[nodiscard]] std::size_t checkpoints() const;
  /// Checkpoints the writer made itself because the log reached kBehind times the threshold.
  [[nodiscard]] std::size_t checkpoints_on_the_writer() const;

  /// How far (in thresholds) the log may grow before the writer checkpoints it itself.
  static constexpr int kBehind = 4;

 private:
  static int on_commit(void* self, sqlite3* db, const char* name, int frames);
  void run();
  /// One checkpoint through @p db, the only one under way; then @p count goes up.
  void checkpoint(sqlite3* db, std::size_t& count);

  Poco::Data::Session own_;
  sqlite3* own_db_;
  Poco::Data::Session writer_;
  sqlite3* writer_db_;
  int threshold_;
  std::mutex checkpointing_;  // held by whichever of the two checkpoints
  mutable std::mutex mutex_;
  std::condition_variable due_;
  bool wanted_ = false;
  bool stopping_ = false;
  std::size_t checkpoints_ = 0;
  std::size_t on_the_writer_ = 0;
  std::thread thread_;  // last: started once everything it reads is set
};

}  // namespace linkgate::sql
