#pragma once
// The durable outbox: every sign-in message is stored here before the request is answered,
// and stays until a channel accepted it. A delivered (or dead) message keeps only metadata:
// its link and code are erased, so no usable secret lingers on disk.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "linkgate/sdk/result.h"
#include "linkgate/sdk/types.h"
#include "outbox/outbox_message.h"
#include "sql/database.h"

namespace linkgate::outbox {

/// What became of one claimed message. OutboxStore::record() writes a batch of them in one
/// transaction.
struct Outcome {
  enum class Kind {
    sent,        // delivered: body erased
    suppressed,  // a kDiscard message's end: body erased
    dead,        // given up: body erased, `error` kept
    retry,       // pending again at `due`, `error` kept
    moved,       // pending on channel `channel_index`, due at `due`
    released,    // handed back unsent (stopping, or its lease half gone): pending at `due`, the
                 // attempt the claim counted taken back
  };
  Kind kind = Kind::sent;
  std::string id;
  std::string error;
  std::int64_t due = 0;
  int channel_index = 0;

  /// Whether this outcome erases the message's body.
  [[nodiscard]] bool erases_body() const {
    return kind == Kind::sent || kind == Kind::suppressed || kind == Kind::dead;
  }
};

class OutboxStore {
 public:
  /// Creates the table if missing. Throws std::runtime_error when the database is unusable.
  explicit OutboxStore(std::shared_ptr<sql::Database> db);

  // Every call after construction reports a database failure as ErrorCode::unavailable.

  /// Inside a Database::write() of the caller's: stores @p message as pending, due now — or, when
  /// its worker holds it (OutboxMessage::held_until), due then with one attempt counted (the flow
  /// store writes a flow and its message in one transaction). Throws Poco::Exception.
  void insert(Poco::Data::Session& session, const OutboxMessage& message, std::int64_t now) const;
  /// Stores @p message as insert() does.
  sdk::Result<void> enqueue(const OutboxMessage& message, std::int64_t now);
  /// Claims up to @p max due messages (pending and due, oldest first, then sending with an
  /// expired lease) for @p lease_seconds, counting one attempt each, in one statement. Empty when
  /// nothing is due.
  sdk::Result<std::vector<OutboxMessage>> claim_batch(std::int64_t now, std::int64_t lease_seconds,
                                                      int max);
  /// claim_batch() of one. ErrorCode::not_found when nothing is due.
  sdk::Result<OutboxMessage> claim(std::int64_t now, std::int64_t lease_seconds);
  /// Writes every outcome of a claimed batch in one transaction, at @p now.
  sdk::Result<void> record(const std::vector<Outcome>& outcomes, std::int64_t now);
  // One outcome each, for tests and tools.
  sdk::Result<void> mark_sent(const std::string& id, std::int64_t now);
  /// A kDiscard message's end: erased like a sent one, in the state "suppressed".
  sdk::Result<void> mark_suppressed(const std::string& id, std::int64_t now);
  sdk::Result<void> mark_retry(const std::string& id, std::int64_t next_attempt_at,
                               const std::string& error);
  sdk::Result<void> mark_dead(const std::string& id, const std::string& reason, std::int64_t now);
  sdk::Result<void> move_to_channel(const std::string& id, int channel_index, std::int64_t now);

  /// Deletes up to @p max_rows of each finished state (sent, dead, suppressed) last changed
  /// before @p before; returns how many of each went. Their bodies were erased already: this
  /// keeps the table — and every claim — the size of what is in flight, not of the history.
  sdk::Result<std::map<std::string, std::int64_t>> purge(std::int64_t before, int max_rows);

  /// Every statement the worker and the request path run, as this database would get it, by
  /// name — for checking that each one's plan uses an index.
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> statements() const;

  /// Takes the bodies erased so far off the disk's files (Database::scrub_log): pending until it
  /// is done; call again, with @p more_erased when bodies were erased since the last call.
  sdk::Result<sql::GroupCommit::Scrub> scrub(bool more_erased, std::chrono::milliseconds patience);

  /// Messages not yet delivered (pending or being sent).
  sdk::Result<std::int64_t> depth();
  struct Backlog {
    std::int64_t depth = 0;
    std::int64_t oldest = 0;  // created_at of the oldest (seconds); 0 when none
  };
  /// depth() and when the oldest of those messages was stored, in one statement.
  sdk::Result<Backlog> backlog();
  /// Count per state (pending, sending, sent, dead, suppressed).
  sdk::Result<std::map<std::string, std::int64_t>> counts();
  /// The state and last error of one message, for tests and operators.
  sdk::Result<std::pair<std::string, std::string>> state_of(const std::string& id);
  /// The body columns of one message (to prove erasure): subject+text+html+link+code joined.
  sdk::Result<std::string> body_of(const std::string& id);

 private:
  [[nodiscard]] std::string claim_statement() const;
  [[nodiscard]] std::string purge_statement() const;
  static void record_cached(sql::SqliteStatements& statements, const Outcome& outcome,
                            std::int64_t now_seconds);
  // The claim through the writer's kept statement (SQLite): each row read straight into its
  // message.
  std::vector<OutboxMessage> claim_cached(sql::SqliteStatements& statements,
                                          const std::string& claim, std::int64_t lease_until,
                                          std::int64_t now_seconds, int max) const;

  std::shared_ptr<sql::Database> db_;
};

}  // namespace linkgate::outbox
