#pragma once
// Sign-in flows in SQL (SQLite or PostgreSQL), shared by every instance that shares the database.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "flow/pending_flows_in_memory.h"
#include "flow/ports.h"
#include "outbox/outbox_store.h"
#include "sql/database.h"

namespace linkgate::flow {

class SqlFlowRepository final : public FlowRepository {
 public:
  /// Creates the table if missing. @p outbox (on the same database) stores each new flow's
  /// message in the flow's transaction; without it only starts without a message are
  /// accepted. Throws std::runtime_error when the database is unusable.
  explicit SqlFlowRepository(std::shared_ptr<sql::Database> db,
                             std::shared_ptr<outbox::OutboxStore> outbox = nullptr);

  /// Joins the database's writers now rather than at the first start (on an SQLite file: the
  /// roster, and the pending flows loaded into memory — a fifth of a second on 782,000 flows),
  /// so that a server does it before it listens. Nothing on PostgreSQL, or once done. Throws
  /// what the database throws; the first start then tries again. Thread-safe.
  void join_writers(std::int64_t now);

  sdk::Result<void> create(const Flow& flow, bool supersede, const FlowMessage& message) override;
  void create_then(std::shared_ptr<const Flow> flow, bool supersede,
                   std::shared_ptr<const FlowMessage> message, Created done) override;
  sdk::Result<Flow> get(const std::string& id) override;
  sdk::Result<Flow> find_by_short_key(const std::string& mac) override;
  /// One transaction for the completion and the writes @p first makes into this database
  /// (sql::WriteUnit); false when another caller got there first, and then neither is kept.
  sdk::Result<bool> complete_after(const std::string& id, std::int64_t now,
                                   const std::function<sdk::Result<void>()>& first) override;
  void complete_after_then(const Flow& flow, std::int64_t now,
                           const std::function<sdk::Result<void>()>& first,
                           Completed done) override;
  sdk::Result<bool> take_attempt(const std::string& id, int max_attempts,
                                 std::int64_t now) override;
  sdk::Result<void> kill(const std::string& id) override;
  sdk::Result<bool> note_view(const Flow& flow, const std::string& family) override;
  sdk::Result<SweptFlows> sweep(std::int64_t now, std::int64_t grace_seconds,
                                int max_flows) override;

  /// Every statement the repository runs, as this database would get it, by name — for checking
  /// that each one's plan uses an index.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> statements() const;

 private:
  sdk::Result<Flow> select_one(const std::string& column, const std::string& value);
  /// A redeem's completion of flow @p id, through @p row (its SQLite row id as read; 0 to look
  /// the id up) — by the id when the row id names another flow. Throws sql::Conflict when the
  /// flow is no longer pending or expired.
  static sql::GroupCommit::Work completion(std::shared_ptr<sql::Database> db, std::string id,
                                           std::int64_t row, std::int64_t now_seconds);
  /// The flow's row (ending the identifier's pending ones first with @p supersede) and its
  /// message's, in the caller's transaction. Appends to @p ended the row ids of the flows the
  /// in-memory table had it supersede.
  static void write_flow(const sql::Database& db, const outbox::OutboxStore* outbox,
                         PendingFlowsInMemory* memory, Poco::Data::Session& s, const Flow& f,
                         bool supersede, const FlowMessage& message,
                         std::vector<std::int64_t>& ended);
  static sdk::Result<Flow> select_one_cached(sql::SqliteStatements& statements,
                                             const std::string& column, const std::string& value);
  std::shared_ptr<sql::Database> db_;
  std::shared_ptr<outbox::OutboxStore> outbox_;
  /// On an SQLite file: its pending flows by identifier, shared with the database's other flow
  /// stores in this process; null elsewhere.
  std::shared_ptr<PendingFlowsInMemory> memory_;
};

}  // namespace linkgate::flow
