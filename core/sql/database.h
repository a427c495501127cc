#pragma once
// A pooled SQL database through Poco Data, shared by the core (flows, outbox) and the sql user
// store plugin. The pool is this class's own: Poco's SessionPool throws when every session is in
// use (this one waits), and takes a second lock and a look at every idle session per lease.

#include <Poco/Data/Session.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <vector>

#include "sql/checkpointer.h"
#include "sql/group_commit.h"
#include "sql/sqlite_statements.h"

namespace linkgate::sql {

class Database;

/// An open connection and, on SQLite, its cache of prepared statements.
struct PooledConnection {
  /// @p sqlite: keep prepared statements for it.
  PooledConnection(Poco::Data::Session s, bool sqlite);
  PooledConnection(PooledConnection&&) noexcept = default;
  // Assigning would close the old connection before finalizing its statements.
  PooledConnection& operator=(PooledConnection&&) = delete;
  Poco::Data::Session session;
  std::unique_ptr<SqliteStatements> statements;  // declared last: finalized before the close
};

/// One borrowed connection; returned to the pool when the lease goes (closed instead if it
/// lost its server or was left inside a transaction that cannot be rolled back).
class Lease {
 public:
  Lease(Lease&& other) noexcept : db_(other.db_), connection_(std::move(other.connection_)) {
    other.db_ = nullptr;
  }
  Lease& operator=(Lease&&) = delete;
  ~Lease();
  Poco::Data::Session& operator*() { return connection_.session; }
  Poco::Data::Session* operator->() { return &connection_.session; }
  /// The connection's prepared statements on SQLite; null on PostgreSQL.
  [[nodiscard]] SqliteStatements* statements() { return connection_.statements.get(); }

 private:
  friend class Database;
  Lease(Database& db, PooledConnection connection) : db_(&db), connection_(std::move(connection)) {}
  Database* db_;
  PooledConnection connection_;
};

enum class Dialect { sqlite, postgresql };

/// `postgresql://user:pass@host:port/db?sslmode=require` as a libpq key=value string (Poco's
/// connector accepts only that form); a `postgresql:key=value...` string loses its prefix.
/// Poco 1.11 splits the string at spaces, so no value (password included) may contain one.
std::string postgres_conninfo(const std::string& url);

/// The SQLite log's length, in pages, past which the checkpointer copies it into the database
/// file: 16 MiB. SQLite's own default is 1,000; a longer log writes a page changed by many
/// commits (an index's inner pages, the table's last leaf) once per checkpoint instead of once
/// per 1,000 frames — stateful redeems +6 to +9 % (docs/performance.md, "Checkpoints four times
/// further apart").
inline constexpr int kCheckpointFrames = 4000;

class Database {
 public:
  /// Opens `sqlite:PATH`, a `postgresql://user:pass@host:port/db` URL, or `postgresql:` followed
  /// by a libpq connection string (`host=... dbname=...`), with at most @p pool_size connections.
  /// Throws std::runtime_error naming the database (never its password) when it cannot.
  /// @p checkpoint_frames: SQLite only, see kCheckpointFrames.
  static std::shared_ptr<Database> open(const std::string& url, int pool_size = 8,
                                        int checkpoint_frames = kCheckpointFrames);

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
  /// write() without waiting where the database allows: SQLite queues @p work for the writer
  /// and calls @p done on the writer's thread once it is committed or failed
  /// (GroupCommit::submit); PostgreSQL runs it as write() does and calls @p done before this
  /// returns. @p done gets null on success, else what failed; it must be quick and not throw.
  void write_then(GroupCommit::Work work, GroupCommit::Done done);
  /// Takes erased data off the disk's files. SQLite keeps page images of every change in its
  /// write-ahead log until a checkpoint, and even then the log file keeps its old frames: this
  /// checkpoints every page into the database file (where secure_delete has zeroed what rows
  /// gave up) and truncates the log to nothing. False when a reader, or a checkpoint under way,
  /// kept it from finishing; try again later. PostgreSQL: nothing linkgate can do from here
  /// (its WAL and dead tuples are the server's, see docs/security.md); true. Throws when the
  /// database fails.
  bool truncate_log();
  /// Takes erased data off the log's file without cutting it (GroupCommit::scrub_log: the stale
  /// frames zeroed after the log's next restart, a truncation when none comes for @p patience);
  /// called again while it is pending, with @p more_erased when rows were erased since the
  /// last call. When a call finished some, the log file is synced, so the zeros are on the disk
  /// too. PostgreSQL: nothing to do, as truncate_log(). Throws when the database fails.
  GroupCommit::Scrub scrub_log(bool more_erased, std::chrono::milliseconds patience);
  /// truncate_log(), tried again every 50 ms while a reader is in the way, for up to
  /// @p patience: whether it finished. For a deletion that promises the data left the disk.
  bool truncate_log_within(std::chrono::milliseconds patience);
  /// The SQLite writer, for tests and metrics; null on PostgreSQL.
  [[nodiscard]] const GroupCommit* group_commit() const { return writer_.get(); }
  /// The SQLite log's checkpointer, for tests and metrics; null on PostgreSQL.
  [[nodiscard]] const Checkpointer* checkpointer() const { return checkpointer_.get(); }
  [[nodiscard]] const std::string& url() const { return url_; }
  /// The database's file on SQLite; empty on PostgreSQL and for an SQLite database in memory.
  [[nodiscard]] std::string sqlite_file() const;

  /// What a store keeps per open database rather than per store object — so the stores that a
  /// reload makes on the same database share it: made by @p make on the first call for @p T,
  /// kept as long as the database. Thread-safe (@p make runs under a lock of this database's).
  template <class T, class Make>
  std::shared_ptr<T> attachment(Make&& make) {
    std::lock_guard lock(attachments_mutex_);
    auto& kept = attachments_[std::type_index(typeid(T))];
    if (!kept) kept = std::forward<Make>(make)();
    return std::static_pointer_cast<T>(kept);
  }

 private:
  friend class Lease;
  Database(std::string url, Dialect dialect, std::string connector, std::string connection,
           int size);
  [[nodiscard]] Poco::Data::Session connect() const;
  /// The shared pointer's deleter. The last reference may go on this database's own writer
  /// thread — a call submitted with write_then() that keeps what owns the database, after a
  /// reload or a stop dropped the rest —, where the writer cannot be joined: it is taken down
  /// on a thread of its own then.
  static void let_go(Database* db);
  /// A lease ended: @p session goes back to the idle ones when still fit for the next.
  void give_back(PooledConnection& connection);
  void release();

  std::string url_;
  Dialect dialect_;
  std::string connector_;   // Poco's name: "SQLite" or "PostgreSQL"
  std::string connection_;  // what the connector opens: a path or a libpq string
  std::unique_ptr<Checkpointer> checkpointer_;  // SQLite only; outlives the writer it hooks
  std::unique_ptr<GroupCommit> writer_;         // SQLite only
  std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<PooledConnection> idle_;  // open, not lent
  int free_;                            // leases that may still be made
  std::mutex attachments_mutex_;
  std::unordered_map<std::type_index, std::shared_ptr<void>> attachments_;
};

/// Drops the index @p name of the database @p db when it is there (one a release replaced),
/// on @p s. Asked first: PostgreSQL answers a DROP INDEX IF EXISTS that finds nothing with a
/// notice on the server's standard error, at every start; IF EXISTS still, for a second server
/// starting on the same database at the same moment. Throws what Poco throws.
void drop_index_if_present(const Database& db, Poco::Data::Session& s, const std::string& name);

}  // namespace linkgate::sql
