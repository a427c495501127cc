#pragma once
// A pooled SQL database through Poco Data, shared by the core (flows, outbox) and the sql user
// store plugin. Poco's SessionPool throws when every session is in use; this pool waits.

#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "sql/group_commit.h"

namespace linkgate::sql {

class Database;

/// One borrowed connection; returned to the pool when the lease goes.
class Lease {
 public:
  Lease(Lease&&) = default;
  ~Lease();
  Poco::Data::Session& operator*() { return session_; }
  Poco::Data::Session* operator->() { return &session_; }

 private:
  friend class Database;
  struct Slot {
    Database* db = nullptr;
    ~Slot();
    Slot() = default;
    Slot(Slot&& o) noexcept : db(o.db) { o.db = nullptr; }
  };
  Lease(Database& db, Poco::Data::Session session);
  Slot slot_;  // released last: after the session is back in Poco's pool
  Poco::Data::Session session_;
};

enum class Dialect { sqlite, postgresql };

/// `postgresql://user:pass@host:port/db?sslmode=require` as a libpq key=value string (Poco's
/// connector accepts only that form); a `postgresql:key=value...` string loses its prefix.
/// Poco 1.11 splits the string at spaces, so no value (password included) may contain one.
std::string postgres_conninfo(const std::string& url);

class Database {
 public:
  /// Opens `sqlite:PATH`, a `postgresql://user:pass@host:port/db` URL, or `postgresql:` followed
  /// by a libpq connection string (`host=... dbname=...`), with at most @p pool_size connections.
  /// Throws std::runtime_error naming the database (never its password) when it cannot.
  static std::shared_ptr<Database> open(const std::string& url, int pool_size = 8);

  [[nodiscard]] Dialect dialect() const { return dialect_; }
  /// @p statement written with `?` placeholders, in this database's syntax (`$1, $2, ...` for
  /// PostgreSQL). Statements must not contain `?` inside string literals.
  [[nodiscard]] std::string sql(const std::string& statement) const;
  /// `url()` with any password replaced by `***`, for messages.
  [[nodiscard]] std::string safe_url() const;

  /// Borrows a connection, waiting up to @p wait for one to be free (then throws
  /// std::runtime_error). SQLite connections also wait up to 10 s for a concurrent writer.
  Lease session(std::chrono::milliseconds wait = std::chrono::seconds(10));

  /// Runs @p work as (part of) a write transaction and returns once it is committed; what
  /// @p work throws is rethrown and its changes undone. SQLite: one writer connection commits
  /// the work of all concurrent callers together (GroupCommit). PostgreSQL: a pooled connection
  /// runs it in a transaction of its own. @p work must not begin or end transactions.
  void write(const GroupCommit::Work& work);
  /// Takes erased data off the disk's files. SQLite keeps page images of every change in its
  /// write-ahead log until a checkpoint, and even then the log file keeps its old frames: this
  /// checkpoints every page into the database file (where secure_delete has zeroed what rows
  /// gave up) and truncates the log to nothing. False when a reader kept it from finishing; try
  /// again later. PostgreSQL: nothing linkgate can do from here (its WAL and dead tuples are the
  /// server's, see docs/security.md); true. Throws Poco::Exception when the database fails.
  bool truncate_log();
  /// truncate_log(), tried again every 50 ms while a reader is in the way, for up to
  /// @p patience: whether it finished. For a deletion that promises the data left the disk.
  bool truncate_log_within(std::chrono::milliseconds patience);
  /// The SQLite writer, for tests and metrics; null on PostgreSQL.
  [[nodiscard]] const GroupCommit* group_commit() const { return writer_.get(); }
  [[nodiscard]] const std::string& url() const { return url_; }

 private:
  friend class Lease;
  Database(std::string url, Dialect dialect, std::unique_ptr<Poco::Data::SessionPool> pool,
           int size);
  void release();

  std::string url_;
  Dialect dialect_;
  std::unique_ptr<Poco::Data::SessionPool> pool_;
  std::unique_ptr<GroupCommit> writer_;  // SQLite only
  std::mutex mutex_;
  std::condition_variable freed_;
  int free_;
};

}  // namespace linkgate::sql
