#include "outbox/outbox_admin.h"

#include <Poco/Data/Session.h>
#include <Poco/Tuple.h>

#include <algorithm>
#include <chrono>

#include "sql/store_result.h"

using namespace Poco::Data::Keywords;

namespace linkgate::outbox {
namespace {

constexpr const char* kColumns =
    "SELECT id, flow_id, state, kind, recipient, channel_index, attempts, next_attempt_at,"
    " expires_at, created_at, updated_at, last_error FROM lg_outbox ";

using Row = Poco::Tuple<std::string, std::string, std::string, int, std::string, int, int,
                        std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::string>;

QueuedMessage message_of(const Row& r) {
  return {r.get<0>(), r.get<1>(), r.get<2>(),  static_cast<sdk::AddressKind>(r.get<3>()),
          r.get<4>(), r.get<5>(), r.get<6>(),  r.get<7>(),
          r.get<8>(), r.get<9>(), r.get<10>(), r.get<11>()};
}

}  // namespace

const std::vector<std::string>& message_states() {
  static const std::vector<std::string> states{"pending", "sending", "sent", "dead", "suppressed"};
  return states;
}

sdk::Result<std::vector<QueuedMessage>> OutboxAdmin::list(const std::vector<std::string>& states,
                                                          std::size_t limit) {
  std::string in;
  for (const auto& state : states) {
    // Only the known words reach the statement.
    const auto& known = message_states();
    if (std::find(known.begin(), known.end(), state) == known.end())
      return sdk::fail(sdk::ErrorCode::invalid, "no such state: " + state);
    in += (in.empty() ? "'" : ", '") + state + "'";
  }
  if (in.empty()) return std::vector<QueuedMessage>{};
  return sql::attempt("outbox", [&] {
    std::vector<Row> rows;
    auto lease = db_->session();
    auto& s = *lease;
    s << db_->sql(std::string(kColumns) + "WHERE state IN (" + in +
                  ") ORDER BY created_at, id LIMIT " +
                  std::to_string(std::max<std::size_t>(1, limit))),
        into(rows), now;
    std::vector<QueuedMessage> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(message_of(r));
    return out;
  });
}

sdk::Result<QueuedMessage> OutboxAdmin::get(const std::string& id) {
  return sql::attempt("outbox", [&]() -> sdk::Result<QueuedMessage> {
    std::vector<Row> rows;
    std::string key = id;
    auto lease = db_->session();
    auto& s = *lease;
    s << db_->sql(std::string(kColumns) + "WHERE id = ?"), useRef(key), into(rows), now;
    if (rows.empty()) return sdk::fail(sdk::ErrorCode::not_found, "no such message: " + id);
    return message_of(rows.front());
  });
}

sdk::Result<bool> OutboxAdmin::retry_now(const std::string& id, std::int64_t at) {
  auto message = get(id);
  if (!message.ok()) return message.error();
  auto changed = make_due(id, at);
  if (!changed.ok()) return changed.error();
  return changed.value() > 0;
}

sdk::Result<std::int64_t> OutboxAdmin::retry_all(std::int64_t at) {
  return make_due(std::nullopt, at);
}

sdk::Result<std::int64_t> OutboxAdmin::make_due(const std::optional<std::string>& id,
                                                std::int64_t at) {
  return sql::attempt("outbox", [&] {
    std::size_t changed = 0;
    db_->write([&](Poco::Data::Session& s) {
      Poco::Data::Statement update(s);
      update << db_->sql(std::string("UPDATE lg_outbox SET next_attempt_at = ?, updated_at = ?"
                                     " WHERE state = 'pending' AND next_attempt_at > ?") +
                         (id ? " AND id = ?" : "")),
          use(at), use(at), use(at);
      if (id) update, useRef(*id);
      changed = update.execute();
    });
    return static_cast<std::int64_t>(changed);
  });
}

sdk::Result<bool> OutboxAdmin::remove(const std::string& id) {
  auto message = get(id);
  if (!message.ok()) return message.error();
  auto removed = sql::attempt("outbox", [&]() -> sdk::Result<void> {
    std::string key = id;
    std::size_t changed = 0;
    db_->write([&](Poco::Data::Session& s) {
      Poco::Data::Statement del(s);
      del << db_->sql("DELETE FROM lg_outbox WHERE id = ? AND state <> 'sending'"), useRef(key);
      changed = del.execute();
    });
    if (changed == 0)
      return sdk::fail(sdk::ErrorCode::retryable,
                       "message " + id + " is being sent right now; try again in a moment");
    return sdk::success();
  });
  if (!removed.ok()) return removed.error();
  // A pending message still had its link and code: secure_delete zeroed the row in the
  // database file; the write-ahead log keeps the old page until it is emptied.
  return sql::attempt("outbox", [&] { return db_->truncate_log_within(std::chrono::seconds(1)); });
}

}  // namespace linkgate::outbox
