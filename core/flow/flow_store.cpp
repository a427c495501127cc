#include "flow/flow_store.h"

#include <algorithm>
#include <future>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "sql/store_result.h"
#include "sql/write_unit.h"

using namespace Poco::Data::Keywords;

namespace linkgate::flow {
namespace {

FlowState parse_state(const std::string& s) {
  if (s == "completed") return FlowState::completed;
  if (s == "superseded") return FlowState::superseded;
  if (s == "dead") return FlowState::dead;
  return FlowState::pending;
}

constexpr std::size_t kMaxViewers = 4;

std::vector<std::string> split_families(const std::string& list) {
  std::vector<std::string> out;
  for (std::size_t at = 0; at < list.size();) {
    auto comma = list.find(',', at);
    if (comma == std::string::npos) comma = list.size();
    if (comma > at) out.push_back(list.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

// Only flows still live: one that expired is refused as expired whatever its state, and the
// index (identifier_key, expires_at) then finds the handful a start can supersede, not every
// flow of the address since the last sweep.
constexpr const char* kSupersede =
    "UPDATE lg_flows SET state = 'superseded'"
    " WHERE identifier_key = ? AND expires_at > ? AND state = 'pending'";
// The same for one flow the in-memory table named by its row id — which may be another
// identifier's flow (one sharing its tag, or one given the row id of a rolled-back insert):
// hence the whole hash too.
constexpr const char* kSupersedeOne =
    "UPDATE lg_flows SET state = 'superseded'"
    " WHERE rowid = ? AND identifier_key = ? AND expires_at > ? AND state = 'pending'";
constexpr const char* kInsert =
    "INSERT INTO lg_flows (id, identifier_key, identifier_kind, identifier, subject,"
    " redirect_uri, code_mac, attempts, state, created_at, expires_at, device, deliverable,"
    " short_key_mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
#define LG_FLOW_COLUMNS                                                                         \
  "id, identifier_key, identifier_kind, identifier, subject, redirect_uri, code_mac, attempts," \
  " state, created_at, expires_at, device, deliverable, short_key_mac, viewed_by"
constexpr const char* kSelectWhere = "SELECT " LG_FLOW_COLUMNS " FROM lg_flows WHERE ";
// SQLite's (the cached statements'): the row id too, for the completion.
constexpr const char* kSelectWithRowWhere =
    "SELECT " LG_FLOW_COLUMNS ", rowid FROM lg_flows WHERE ";
#undef LG_FLOW_COLUMNS
constexpr const char* kComplete =
    "UPDATE lg_flows SET state = 'completed' WHERE id = ? AND state = 'pending' AND"
    " expires_at > ?";
// The same through the row id the redeem read: one B-tree descended instead of the id's index
// and then the table. The row id is only a hint: the id is compared too, so a row id given
// meanwhile to another flow (the row swept and its row id reused, or a VACUUM renumbering the
// rows) completes nothing here, and the completion then looks for the id itself.
constexpr const char* kCompleteRow =
    "UPDATE lg_flows SET state = 'completed' WHERE rowid = ? AND id = ? AND state = 'pending'"
    " AND expires_at > ?";
constexpr const char* kTakeAttempt =
    "UPDATE lg_flows SET attempts = attempts + 1"
    " WHERE id = ? AND state = 'pending' AND attempts < ? AND expires_at > ?";
constexpr const char* kKill =
    "UPDATE lg_flows SET state = 'dead' WHERE id = ? AND state = 'pending'";
constexpr const char* kNoteView = "UPDATE lg_flows SET viewed_by = ? WHERE id = ?";
// Bounded, so a sweep of a large backlog is many short transactions; RETURNING counts exactly the
// rows this statement deleted, even with two instances sweeping at once.
constexpr const char* kSweep =
    "DELETE FROM lg_flows WHERE id IN (SELECT id FROM lg_flows WHERE expires_at < ? LIMIT ?)"
    " RETURNING state, viewed_by";

}  // namespace

const char* to_string(FlowState state) {
  switch (state) {
    case FlowState::pending:
      return "pending";
    case FlowState::completed:
      return "completed";
    case FlowState::superseded:
      return "superseded";
    case FlowState::dead:
      return "dead";
  }
  return "dead";
}

SqlFlowRepository::SqlFlowRepository(std::shared_ptr<sql::Database> db,
                                     std::shared_ptr<outbox::OutboxStore> outbox)
    : db_(std::move(db)), outbox_(std::move(outbox)) {
  try {
    auto lease = db_->session();
    auto& s = *lease;
    s << db_->sql(
        "CREATE TABLE IF NOT EXISTS lg_flows ("
        " id TEXT PRIMARY KEY,"
        " identifier_key TEXT NOT NULL,"
        " identifier_kind INTEGER NOT NULL,"
        " identifier TEXT NOT NULL,"
        " subject TEXT NOT NULL,"
        " redirect_uri TEXT NOT NULL,"
        " code_mac TEXT NOT NULL,"
        " attempts INTEGER NOT NULL DEFAULT 0,"
        " state TEXT NOT NULL,"
        " created_at BIGINT NOT NULL,"
        " expires_at BIGINT NOT NULL,"
        " device TEXT NOT NULL,"
        " deliverable INTEGER NOT NULL,"
        " short_key_mac TEXT NOT NULL DEFAULT '',"
        " viewed_by TEXT NOT NULL DEFAULT '')"),
        now;
    // Databases made before short SMS links, or before confirm views were noted, get the column.
    for (const char* column : {"short_key_mac", "viewed_by"}) {
      try {
        s << db_->sql(std::string("SELECT ") + column + " FROM lg_flows LIMIT 0"), now;
      } catch (const Poco::Exception&) {
        s << db_->sql(std::string("ALTER TABLE lg_flows ADD COLUMN ") + column +
                      " TEXT NOT NULL DEFAULT ''"),
            now;
      }
    }
    s << db_->sql("CREATE INDEX IF NOT EXISTS lg_flows_short_key ON lg_flows (short_key_mac)"), now;
    // Over columns no write after the insert changes: a redeem, a supersede or a flow ended by
    // its attempts changes the state without touching this index — one B-tree page fewer for each
    // to write and for the checkpoint to copy (docs/performance.md, "A flow's state out of its
    // identifier index"). The index it replaces, (identifier_key, state), had each of them move its
    // entry. On an SQLite file the index is left to the writers (take_part()): it is there only
    // while two processes write the flows.
    if (const auto file = db_->sqlite_file(); !file.empty()) {
      memory_ = db_->attachment<PendingFlowsInMemory>([&] {
        return std::make_shared<PendingFlowsInMemory>(sql::ProcessRoster::file_for(file));
      });
    } else {
      s << db_->sql(kIdentifierIndex), now;
    }
    sql::drop_index_if_present(*db_, s, "lg_flows_identifier");
    s << db_->sql("CREATE INDEX IF NOT EXISTS lg_flows_expiry ON lg_flows (expires_at)"), now;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("flow store: " + e.displayText());
  }
}

namespace {

// What a write that failed on the writer's thread says, as the waiting call would have said it:
// @p on_conflict's value for sql::Conflict, ErrorCode::unavailable for anything else.
template <class T, class OnConflict>
sdk::Result<T> failure_of(const std::exception_ptr& failed, OnConflict on_conflict) {
  try {
    return sql::attempt("flows", [&]() -> sdk::Result<T> {
      try {
        std::rethrow_exception(failed);
      } catch (const sql::Conflict&) {
        if constexpr (std::is_void_v<T>) {
          throw;
        } else {
          return on_conflict();
        }
      }
    });
  } catch (...) {
    return sdk::fail(sdk::ErrorCode::unavailable, "flows: the write failed");
  }
}

}  // namespace

void SqlFlowRepository::write_flow(const sql::Database& db, const outbox::OutboxStore* outbox,
                                   PendingFlowsInMemory* memory, Poco::Data::Session& s,
                                   const Flow& f, bool supersede, const FlowMessage& message,
                                   std::vector<std::int64_t>& ended) {
  if (auto* cached = sql::GroupCommit::statements_for(s)) {
    bool in_memory = memory != nullptr && memory->answers();
    if (supersede && in_memory) {
      thread_local std::vector<std::int64_t> named;  // the writer's own, reused
      named.clear();
      in_memory = memory->find(*cached, f.identifier_key, f.created_at, named);
      for (const std::int64_t rowid : named) {
        auto end = cached->use(kSupersedeOne);
        end.bind(rowid).bind(f.identifier_key).bind(f.created_at).run();
        // Only a flow this statement ended is known to be this identifier's and done with.
        if (end.changes() == 1) ended.push_back(rowid);
      }
    }
    if (supersede && !in_memory) {
      // An SQLite file has the index only while the table cannot answer; nothing when it is
      // there already.
      if (memory != nullptr) cached->use(kIdentifierIndex).run();
      cached->use(kSupersede).bind(f.identifier_key).bind(f.created_at).run();
    }
    auto insert = cached->use(kInsert);
    insert.bind(f.id)
        .bind(f.identifier_key)
        .bind(std::int64_t{static_cast<int>(f.identifier.kind)})
        .bind(f.identifier.value)
        .bind(f.subject)
        .bind(f.redirect_uri)
        .bind(f.code_mac)
        .bind(std::int64_t{f.attempts})
        .bind(to_string(f.state))
        .bind(f.created_at)
        .bind(f.expires_at)
        .bind(f.device)
        .bind(std::int64_t{f.deliverable ? 1 : 0})
        .bind(f.short_key_mac)
        .run();
    if (in_memory) {
      memory->inserted(f.identifier_key, insert.last_insert_rowid(), f.expires_at, supersede);
    }
    if (message.message) outbox->insert(s, *message.message, message.now);
    return;
  }
  if (supersede) {
    s << db.sql(kSupersede), useRef(f.identifier_key), useRef(f.created_at), now;
  }
  int kind = static_cast<int>(f.identifier.kind);
  std::string state = to_string(f.state);
  int deliverable = f.deliverable ? 1 : 0;
  s << db.sql(kInsert), useRef(f.id), useRef(f.identifier_key), use(kind),
      useRef(f.identifier.value), useRef(f.subject), useRef(f.redirect_uri), useRef(f.code_mac),
      useRef(f.attempts), use(state), useRef(f.created_at), useRef(f.expires_at), useRef(f.device),
      use(deliverable), useRef(f.short_key_mac), now;
  if (message.message) outbox->insert(s, *message.message, message.now);
}

sdk::Result<void> SqlFlowRepository::create(const Flow& f, bool supersede,
                                            const FlowMessage& message) {
  // Through the writer's queue too, so that what the in-memory table learns from the commit is
  // learnt on the writer's thread, before its next transaction.
  std::promise<sdk::Result<void>> created;
  create_then(std::make_shared<const Flow>(f), supersede,
              std::make_shared<const FlowMessage>(message),
              [&created](sdk::Result<void> result) { created.set_value(std::move(result)); });
  return created.get_future().get();
}

void SqlFlowRepository::join_writers(std::int64_t now) {
  if (memory_) memory_->take_part(*db_, now);
}

void SqlFlowRepository::create_then(std::shared_ptr<const Flow> flow, bool supersede,
                                    std::shared_ptr<const FlowMessage> message, Created done) {
  if (message->message && !outbox_) {
    return done(sdk::fail(sdk::ErrorCode::invalid, "flows: no outbox to store the message in"));
  }
  if (memory_) {
    try {
      memory_->take_part(*db_, flow->created_at);
    } catch (const std::exception& e) {
      return done(sdk::fail(sdk::ErrorCode::unavailable, std::string("flows: ") + e.what()));
    }
  }
  // The flows this start ended, which the in-memory table forgets once that is committed.
  auto ended = std::make_shared<std::vector<std::int64_t>>();
  // The writer runs the work after this returns: it shares the flow, its message and the stores.
  auto write = [db = db_, outbox = outbox_, memory = memory_, flow, message = std::move(message),
                supersede, ended](Poco::Data::Session& s) {
    ended->clear();
    write_flow(*db, outbox.get(), memory.get(), s, *flow, supersede, *message, *ended);
  };
  // Shared so that a write_then() that throws, having taken the work, can still be answered.
  auto told = std::make_shared<Created>(std::move(done));
  auto settled = [told, memory = memory_, flow = std::move(flow),
                  ended](std::exception_ptr failed) {
    if (!failed) {
      // Called on the writer's thread (SQLite), where the table lives; a rolled-back start
      // forgets nothing, so the flows it would have ended are still found.
      if (memory && !ended->empty()) memory->forget(flow->identifier_key, *ended);
      return (*told)(sdk::success());
    }
    (*told)(failure_of<void>(failed, [] {}));
  };
  try {
    db_->write_then(std::move(write), std::move(settled));
  } catch (const std::exception& e) {  // queued nothing (out of memory): nothing was stored
    (*told)(sdk::fail(sdk::ErrorCode::unavailable, std::string("flows: ") + e.what()));
  }
}

sdk::Result<Flow> SqlFlowRepository::get(const std::string& id) {
  return select_one("id", id);
}

sdk::Result<Flow> SqlFlowRepository::find_by_short_key(const std::string& mac) {
  if (mac.empty()) return sdk::fail(sdk::ErrorCode::not_found, "no short key");
  return select_one("short_key_mac", mac);
}

sdk::Result<Flow> SqlFlowRepository::select_one(const std::string& column,
                                                const std::string& value) {
  return sql::attempt("flows", [&]() -> sdk::Result<Flow> {
    auto lease = db_->session();
    if (auto* cached = lease.statements()) return select_one_cached(*cached, column, value);
    auto& s = *lease;
    Flow f;
    int kind = 0, deliverable = 0;
    std::string state;
    Poco::Data::Statement select(s);
    select << db_->sql(kSelectWhere + column + " = ?"), useRef(value), into(f.id),
        into(f.identifier_key), into(kind), into(f.identifier.value), into(f.subject),
        into(f.redirect_uri), into(f.code_mac), into(f.attempts), into(state), into(f.created_at),
        into(f.expires_at), into(f.device), into(deliverable), into(f.short_key_mac),
        into(f.viewed_by), limit(1);
    if (select.execute() == 0) return sdk::fail(sdk::ErrorCode::not_found, "no such flow");
    f.identifier.kind = kind == 1 ? sdk::AddressKind::phone : sdk::AddressKind::email;
    f.state = parse_state(state);
    f.deliverable = deliverable != 0;
    return f;
  });
}

sdk::Result<Flow> SqlFlowRepository::select_one_cached(sql::SqliteStatements& statements,
                                                       const std::string& column,
                                                       const std::string& value) {
  auto select = statements.use(kSelectWithRowWhere + column + " = ? LIMIT 1");
  select.bind(value);
  if (!select.next_row()) return sdk::fail(sdk::ErrorCode::not_found, "no such flow");
  Flow f;
  f.id = select.text(0);
  f.identifier_key = select.text(1);
  f.identifier.kind = select.int64(2) == 1 ? sdk::AddressKind::phone : sdk::AddressKind::email;
  f.identifier.value = select.text(3);
  f.subject = select.text(4);
  f.redirect_uri = select.text(5);
  f.code_mac = select.text(6);
  f.attempts = static_cast<int>(select.int64(7));
  f.state = parse_state(select.text(8));
  f.created_at = select.int64(9);
  f.expires_at = select.int64(10);
  f.device = select.text(11);
  f.deliverable = select.int64(12) != 0;
  f.short_key_mac = select.text(13);
  f.viewed_by = select.text(14);
  f.row = select.int64(15);
  return f;
}

// The flow's completion, the unit's last write: a flow no longer pending (completed by another
// redeem, or expired) undoes the whole unit.
sql::GroupCommit::Work SqlFlowRepository::completion(std::shared_ptr<sql::Database> db,
                                                     std::string id, std::int64_t row,
                                                     std::int64_t now_seconds) {
  return [db = std::move(db), id = std::move(id), row, now_seconds](Poco::Data::Session& s) {
    bool completed = false;
    if (auto* cached = sql::GroupCommit::statements_for(s)) {
      if (row > 0) {
        auto update = cached->use(kCompleteRow);
        update.bind(row).bind(id).bind(now_seconds).run();
        completed = update.changes() == 1;
      }
      if (!completed) {
        auto update = cached->use(kComplete);
        update.bind(id).bind(now_seconds).run();
        completed = update.changes() == 1;
      }
    } else {
      Poco::Data::Statement update(s);
      std::int64_t now_value = now_seconds;
      update << db->sql(kComplete), useRef(id), use(now_value);
      completed = update.execute() == 1;
    }
    if (!completed) throw sql::Conflict("flows: not pending, or expired");
  };
}

sdk::Result<bool> SqlFlowRepository::complete_after(
    const std::string& id, std::int64_t now_seconds,
    const std::function<sdk::Result<void>()>& first) {
  sql::WriteUnit unit(*db_);
  if (auto consumed = first(); !consumed.ok()) return consumed.error();
  return sql::attempt("flows", [&] {
    try {
      unit.commit(completion(db_, id, 0, now_seconds));
    } catch (const sql::Conflict&) {
      return false;  // completed by another redeem, or expired: nothing of this one is kept
    }
    return true;
  });
}

void SqlFlowRepository::complete_after_then(const Flow& flow, std::int64_t now_seconds,
                                            const std::function<sdk::Result<void>()>& first,
                                            Completed done) {
  sql::WriteUnit unit(*db_);
  if (auto consumed = first(); !consumed.ok()) return done(consumed.error());
  auto settled = [done](std::exception_ptr failed) {
    if (!failed) return done(true);
    // A conflict is "completed by another redeem, or expired", as complete_after() says it.
    done(failure_of<bool>(failed, [] { return false; }));
  };
  try {
    unit.commit_then(completion(db_, flow.id, flow.row, now_seconds), std::move(settled));
  } catch (const std::exception& e) {  // queued nothing (out of memory): nothing was written
    done(sdk::fail(sdk::ErrorCode::unavailable, std::string("flows: ") + e.what()));
  }
}

sdk::Result<bool> SqlFlowRepository::take_attempt(const std::string& id, int max_attempts,
                                                  std::int64_t now_seconds) {
  return sql::attempt("flows", [&] {
    bool changed = false;
    db_->write([&](Poco::Data::Session& s) {
      Poco::Data::Statement update(s);
      update << db_->sql(kTakeAttempt), useRef(id), use(max_attempts), use(now_seconds);
      changed = update.execute() == 1;
    });
    return changed;
  });
}

sdk::Result<void> SqlFlowRepository::kill(const std::string& id) {
  return sql::attempt("flows", [&] {
    db_->write([&](Poco::Data::Session& s) { s << db_->sql(kKill), useRef(id), now; });
  });
}

sdk::Result<bool> SqlFlowRepository::note_view(const Flow& flow, const std::string& family) {
  auto families = split_families(flow.viewed_by);
  if (std::find(families.begin(), families.end(), family) != families.end()) return false;
  // A handful at most: a scanner or two and the person; past that the list stops growing.
  if (families.size() >= kMaxViewers) return false;
  const std::string viewed_by = flow.viewed_by.empty() ? family : flow.viewed_by + "," + family;
  return sql::attempt("flows", [&]() -> sdk::Result<bool> {
    std::size_t changed = 0;
    db_->write([&](Poco::Data::Session& s) {
      Poco::Data::Statement update(s);
      update << db_->sql(kNoteView), useRef(viewed_by), useRef(flow.id);
      changed = update.execute();
    });
    if (changed == 0) return sdk::fail(sdk::ErrorCode::not_found, "no such flow");
    return families.empty();
  });
}

sdk::Result<SweptFlows> SqlFlowRepository::sweep(std::int64_t now_seconds,
                                                 std::int64_t grace_seconds, int max_flows) {
  return sql::attempt("flows", [&] {
    SweptFlows swept;
    std::vector<std::string> states, viewers;
    db_->write([&](Poco::Data::Session& s) {
      if (memory_ && memory_->answers()) memory_->prune(now_seconds);
      std::int64_t before = now_seconds - grace_seconds;
      Poco::Data::Statement del(s);
      del << db_->sql(kSweep), use(before), use(max_flows), into(states), into(viewers);
      del.execute();
    });
    swept.flows = states.size();
    for (std::size_t i = 0; i < states.size(); ++i) {
      if (states[i] == "completed") continue;
      for (const auto& family : split_families(viewers[i])) ++swept.unredeemed_views[family];
    }
    return swept;
  });
}

std::vector<std::pair<std::string, std::string>> SqlFlowRepository::statements() const {
  std::vector<std::pair<std::string, std::string>> statements{
      {"supersede", db_->sql(kSupersede)},
      {"insert", db_->sql(kInsert)},
      {"get", db_->sql(std::string(kSelectWhere) + "id = ?")},
      {"find_by_short_key", db_->sql(std::string(kSelectWhere) + "short_key_mac = ?")},
      {"complete", db_->sql(kComplete)},
      {"take_attempt", db_->sql(kTakeAttempt)},
      {"kill", db_->sql(kKill)},
      {"note_view", db_->sql(kNoteView)},
      {"sweep", db_->sql(kSweep)}};
  // By row id: SQLite's alone.
  if (db_->dialect() == sql::Dialect::sqlite) {
    statements.emplace_back("supersede_one", kSupersedeOne);
    statements.emplace_back("get_with_row", std::string(kSelectWithRowWhere) + "id = ?");
    statements.emplace_back("complete_row", kCompleteRow);
  }
  return statements;
}

}  // namespace linkgate::flow
