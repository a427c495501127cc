#pragma once
// Which pending flows each identifier has, for one SQLite database, kept by the process that
// writes it — and whether that table may answer instead of the database's identifier index.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "flow/pending_flow_table.h"
#include "sql/database.h"
#include "sql/process_roster.h"

namespace linkgate::flow {

/// The index a start's supersede needs where the table cannot answer: PostgreSQL, or an SQLite
/// database that another process writes too.
inline constexpr const char* kIdentifierIndex =
    "CREATE INDEX IF NOT EXISTS lg_flows_by_identifier ON lg_flows (identifier_key, expires_at)";

/// The table is right only while every flow of the database was written by this object's
/// process: each writer joins a sql::ProcessRoster beside the database before its first write,
/// and the table stops answering, for good, at the first write that finds another member there
/// — whose own first write (after it joined) comes later, as the database's write lock orders
/// them. The member that found itself alone dropped the identifier index; one that finds others
/// makes sure it is there, so both then find each other's flows through it.
class PendingFlowsInMemory {
 public:
  /// Pending flows the table holds at most: 2^19 (in 2^20 slots, 16 MiB); past it, the index.
  static constexpr std::size_t kMaxEntries = std::size_t{1} << 19;

  /// @p roster_file: beside the database (sql::ProcessRoster::file_for); @p max_entries: past
  /// it the index answers instead (kMaxEntries but in tests).
  explicit PendingFlowsInMemory(std::string roster_file, std::size_t max_entries = kMaxEntries)
      : roster_file_(std::move(roster_file)), max_entries_(max_entries) {}

  /// Joins the database's writers the first time it is called (and again after a call that
  /// threw): alone, loads into the table every flow pending and unexpired at @p now and drops
  /// the identifier index; with another member there (or no roster to be had), or more such
  /// flows than the table holds, makes sure the index is there. One write transaction of its own.
  /// Thread-safe; throws what the database throws.
  void take_part(sql::Database& db, std::int64_t now);

  /// Whether the table answers for the database's pending flows now. On the writer's thread,
  /// inside a write, after take_part(). One system call while it does. False for good once
  /// another writer has joined, or once more than kMaxEntries flows were pending at once (the
  /// index is made then, and answers instead).
  [[nodiscard]] bool answers();

  /// Appends to @p out the row ids of @p identifier_key's flows unexpired at @p now that may be
  /// pending; first reloads the table from the database (@p statements, the writer's) when a
  /// start without supersede left it incomplete. False, with nothing appended, when that reload
  /// found more than the table holds: the index answers then, from this start on (answers() is
  /// false for good). On the writer's thread, when answers().
  [[nodiscard]] bool find(sql::SqliteStatements& statements, std::string_view identifier_key,
                          std::int64_t now, std::vector<std::int64_t>& out);
  /// The flow with row id @p rowid was inserted; @p kept: its start supersedes others (the
  /// table keeps only those while no start supersedes, and is reloaded by the next find()).
  /// On the writer's thread, when answers().
  void inserted(std::string_view identifier_key, std::int64_t rowid, std::int64_t expires_at,
                bool kept);
  /// The flows in @p rowids of @p identifier_key are pending no more (committed).
  void forget(std::string_view identifier_key, const std::vector<std::int64_t>& rowids);
  /// Drops the entries expired at @p now.
  void prune(std::int64_t now);
  /// The flows the table holds (none while it does not answer). For tests and metrics; on the
  /// writer's thread, or while the database writes nothing.
  [[nodiscard]] std::size_t size() const { return table_.size(); }

 private:
  void join(Poco::Data::Session& s, const sql::Database& db, std::int64_t now_seconds);
  // Every pending unexpired flow into the table; false (and the table given way) past the limit.
  bool load(sql::SqliteStatements& statements, std::int64_t now_seconds);
  // For good: the index answers from now on (answers() false).
  void give_way_to_the_index();

  const std::string roster_file_;
  const std::size_t max_entries_;
  std::once_flag joined_;
  std::unique_ptr<sql::ProcessRoster> roster_;
  bool shared_ = true;    // until join() finds this process alone
  bool complete_ = true;  // false after a start without supersede, until the next load()
  PendingFlowTable table_;
};

}  // namespace linkgate::flow
