#include "flow/pending_flows_in_memory.h"

#include <stdexcept>

#include "sql/group_commit.h"

namespace linkgate::flow {

void PendingFlowsInMemory::take_part(sql::Database& db, std::int64_t now) {
  std::call_once(joined_, [&] { db.write([&](Poco::Data::Session& s) { join(s, db, now); }); });
}

void PendingFlowsInMemory::join(Poco::Data::Session& s, const sql::Database& db,
                                std::int64_t now_seconds) {
  using Poco::Data::Keywords::now;
  table_.clear();
  shared_ = true;
  try {
    if (!roster_) roster_ = std::make_unique<sql::ProcessRoster>(roster_file_);
    shared_ = roster_->others_present();
  } catch (const std::runtime_error&) {
    // No roster, no way to know who else writes: the index answers, as it always can.
  }
  auto* statements = sql::GroupCommit::statements_for(s);
  if (shared_ || statements == nullptr) {
    shared_ = true;
    s << db.sql(kIdentifierIndex), now;
    return;
  }
  // Loaded before the index goes: with more pending flows than the table holds, the index
  // stays (it is made when a process alone left none) rather than being dropped and made again.
  if (!load(*statements, now_seconds)) {
    s << db.sql(kIdentifierIndex), now;
    return;
  }
  sql::drop_index_if_present(db, s, "lg_flows_by_identifier");
}

bool PendingFlowsInMemory::load(sql::SqliteStatements& statements, std::int64_t now_seconds) {
  table_.clear();
  auto pending = statements.use(
      "SELECT rowid, identifier_key, expires_at FROM lg_flows"
      " WHERE expires_at > ? AND state = 'pending'");
  pending.bind(now_seconds);
  while (pending.next_row()) {
    if (table_.size() >= max_entries_) {
      give_way_to_the_index();
      return false;
    }
    table_.add(pending.text(1), pending.int64(0), pending.int64(2));
  }
  complete_ = true;
  return true;
}

void PendingFlowsInMemory::give_way_to_the_index() {
  shared_ = true;
  complete_ = false;
  table_.clear();
}

bool PendingFlowsInMemory::find(sql::SqliteStatements& statements, std::string_view identifier_key,
                                std::int64_t now, std::vector<std::int64_t>& out) {
  if (!complete_ && !load(statements, now)) return false;
  table_.find(identifier_key, now, out);
  return true;
}

void PendingFlowsInMemory::inserted(std::string_view identifier_key, std::int64_t rowid,
                                    std::int64_t expires_at, bool kept) {
  if (!kept) {
    complete_ = false;
    table_.clear();
    return;
  }
  if (!complete_) return;  // the next load() reads it from the database
  if (table_.size() >= max_entries_) {
    give_way_to_the_index();  // made by the next supersede (flow_store.cpp)
    return;
  }
  table_.add(identifier_key, rowid, expires_at);
}

void PendingFlowsInMemory::forget(std::string_view identifier_key,
                                  const std::vector<std::int64_t>& rowids) {
  table_.forget(identifier_key, rowids);
}

void PendingFlowsInMemory::prune(std::int64_t now) {
  table_.prune(now);
}

bool PendingFlowsInMemory::answers() {
  if (shared_) return false;
  bool others = true;
  try {
    others = roster_->others_present();
  } catch (const std::runtime_error&) {
  }
  if (others) {
    shared_ = true;
    table_.clear();
  }
  return !shared_;
}

}  // namespace linkgate::flow
