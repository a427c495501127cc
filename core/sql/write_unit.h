#pragma once
// Writes that commit together. Some writes are made deep inside a call the caller does not own
// — a link's replay entry, written by the token plugin through the host's key store while the
// flow is being completed — and each would otherwise be a commit of its own: one more hand-off
// to the writer and back, and a window in which the first is kept while the second fails.
// While a WriteUnit is open on a thread, stores that know about it add their writes to it
// instead of committing them; commit() then runs them, and the caller's own last write, as one
// call of Database::write(): all of them or none.

#include <stdexcept>
#include <vector>

#include "sql/group_commit.h"

namespace linkgate::sql {

class Database;

/// Thrown by a write in a unit when what it counted on is not so when it runs (a key that is
/// there already, a row another caller changed): the whole unit is undone.
class Conflict : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class WriteUnit {
 public:
  /// Opens a unit for @p db on the calling thread (the thread's previous unit, if any, is
  /// hidden until this one closes). Not thread-safe: one thread's alone.
  explicit WriteUnit(Database& db);
  /// Closes the unit; writes added and not committed are dropped.
  ~WriteUnit();
  WriteUnit(const WriteUnit&) = delete;
  WriteUnit& operator=(const WriteUnit&) = delete;

  /// The unit open on this thread for @p db (this handle; another handle of the same file has a
  /// writer of its own, which cannot join the unit's transaction), or null: a store
  /// that finds one adds its write with add() and answers as if it will succeed; the write
  /// checks when it runs, and throws Conflict if it cannot.
  static WriteUnit* open_for(const Database& db);

  /// Adds @p work, to run in order when the unit commits.
  void add(GroupCommit::Work work);

  /// Closes the unit, then runs every added work and then @p last in one Database::write(): all
  /// committed, or — when any of them throws (Conflict, or the database's own error) — none,
  /// and the exception is rethrown here.
  void commit(const GroupCommit::Work& last);
  /// commit() without waiting: the works and @p last go to Database::write_then(), and @p done
  /// hears how their commit went (null: committed; Conflict or the database's error: none of
  /// them kept). The works run later, on the writer's thread: what they capture must stay valid.
  void commit_then(GroupCommit::Work last, GroupCommit::Done done);

 private:
  void close();

  Database& db_;
  WriteUnit* outer_;
  bool open_ = true;
  std::vector<GroupCommit::Work> works_;
};

}  // namespace linkgate::sql
