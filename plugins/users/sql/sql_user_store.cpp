#include "sql_user_store.h"

#include <Poco/Data/Session.h>
#include <Poco/Nullable.h>

#include <Poco/Tuple.h>

#include <filesystem>
#include <stdexcept>

#include "util/base64url.h"

using namespace Poco::Data::Keywords;

namespace linkgate::plugins::sql {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS lg_users ("
    " id TEXT PRIMARY KEY,"
    " email TEXT UNIQUE,"
    " phone TEXT UNIQUE,"
    " locale TEXT NOT NULL DEFAULT '',"
    " created_at BIGINT NOT NULL,"
    " disabled INTEGER NOT NULL DEFAULT 0)";

constexpr const char* kColumns = "SELECT id, email, phone, locale, disabled FROM lg_users ";
constexpr const char* kSelectWhere =
    "SELECT id, email, phone, locale, disabled FROM lg_users WHERE ";
constexpr const char* kListAfter = "WHERE id > ? ORDER BY id LIMIT ";
constexpr const char* kSetDisabled = "UPDATE lg_users SET disabled = ? WHERE id = ?";
constexpr const char* kDelete = "DELETE FROM lg_users WHERE id = ?";
// One statement: concurrent creators of one identifier all end up with the same row.
constexpr const char* kInsert =
    "INSERT INTO lg_users (id, email, phone, locale, created_at) VALUES (?, ?, ?, '', ?)"
    " ON CONFLICT DO NOTHING";

std::string column_for(sdk::AddressKind kind) {
  return kind == sdk::AddressKind::email ? "email" : "phone";
}

}  // namespace

SqlUserStore::SqlUserStore(SqlSettings settings, sdk::HostServices& host)
    : settings_(std::move(settings)), host_(host) {
  if (settings_.connector != "sqlite" && settings_.connector != "postgresql") {
    throw std::runtime_error("connector \"" + settings_.connector +
                             "\" is not supported (sqlite | postgresql)");
  }
  try {
    const bool postgres = settings_.connector == "postgresql";
    const std::string url = !postgres ? "sqlite:" + settings_.database
                            : settings_.database.rfind("postgres", 0) == 0
                                ? settings_.database
                                : "postgresql:" + settings_.database;
    db_ = linkgate::sql::Database::open(url, settings_.pool_size);
    auto lease = db_->session();
    auto& s = *lease;
    s << kSchema, now;
    // Tables made before users could be disabled get the column.
    try {
      s << "SELECT disabled FROM lg_users LIMIT 0", now;
    } catch (const Poco::Exception&) {
      s << "ALTER TABLE lg_users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0", now;
    }
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cannot open user database: ") + e.what());
  }
}

sdk::Result<sdk::User> SqlUserStore::select_one(const std::string& column,
                                                const std::string& value) {
  try {
    auto lease = db_->session();
    if (auto* cached = lease.statements()) {
      auto select = cached->use(kSelectWhere + column + " = ? LIMIT 1");
      select.bind(value);
      if (!select.next_row()) return sdk::fail(sdk::ErrorCode::not_found, "no such user");
      return sdk::User{select.text(0), select.text(1), select.text(2), select.text(3),
                       select.int64(4) != 0};
    }
    auto& s = *lease;
    std::string id, locale;
    Poco::Nullable<std::string> email, phone;
    int disabled = 0;
    Poco::Data::Statement select(s);
    select << db_->sql(kSelectWhere + column + " = ?"), useRef(value), into(id), into(email),
        into(phone), into(locale), into(disabled), limit(1);
    if (select.execute() == 0) return sdk::fail(sdk::ErrorCode::not_found, "no such user");
    return sdk::User{id, email.isNull() ? "" : email.value(), phone.isNull() ? "" : phone.value(),
                     locale, disabled != 0};
  } catch (const Poco::Exception& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, "user database: " + e.displayText());
  } catch (const std::runtime_error& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, std::string("user database: ") + e.what());
  }
}

sdk::Result<sdk::User> SqlUserStore::find(const sdk::Identifier& identifier) {
  return select_one(column_for(identifier.kind), identifier.value);
}

sdk::Result<sdk::User> SqlUserStore::get(std::string_view id) {
  return select_one("id", std::string(id));
}

sdk::Result<sdk::User> SqlUserStore::create(const sdk::Identifier& identifier) {
  // Most creates are of users who are already there (a returning user's link issued before
  // their first sign-in was redeemed): a read answers them without queueing for the writer.
  if (auto existing = find(identifier);
      existing.ok() || existing.code() != sdk::ErrorCode::not_found)
    return existing;
  try {
    std::string id = "usr_" + util::base64url_encode(host_.random().bytes(15));
    Poco::Nullable<std::string> email, phone;
    if (identifier.kind == sdk::AddressKind::email) {
      email = identifier.value;
    } else {
      phone = identifier.value;
    }
    std::int64_t created = host_.clock().now_seconds();
    // Through the database's writer: on SQLite, sign-ups arriving together share one commit.
    db_->write([&](Poco::Data::Session& s) {
      if (auto* cached = linkgate::sql::GroupCommit::statements_for(s)) {
        auto insert = cached->use(kInsert);
        insert.bind(id);
        email.isNull() ? insert.bind_null() : insert.bind(email.value());
        phone.isNull() ? insert.bind_null() : insert.bind(phone.value());
        insert.bind(created).run();
        return;
      }
      s << db_->sql(kInsert), use(id), use(email), use(phone), use(created), now;
    });
  } catch (const Poco::Exception& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, "user database: " + e.displayText());
  } catch (const std::runtime_error& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, std::string("user database: ") + e.what());
  }
  return find(identifier);
}

sdk::Result<sdk::UserPage> SqlUserStore::list(std::string_view after, std::size_t limit) {
  try {
    using Row = Poco::Tuple<std::string, Poco::Nullable<std::string>, Poco::Nullable<std::string>,
                            std::string, int>;
    std::vector<Row> rows;
    std::string from(after);
    auto lease = db_->session();
    auto& s = *lease;
    s << db_->sql(list_statement(limit)), useRef(from), into(rows), now;
    sdk::UserPage page;
    for (const auto& r : rows) {
      page.users.push_back(sdk::User{r.get<0>(), r.get<1>().isNull() ? "" : r.get<1>().value(),
                                     r.get<2>().isNull() ? "" : r.get<2>().value(), r.get<3>(),
                                     r.get<4>() != 0});
    }
    if (page.users.size() == limit) page.next_after = page.users.back().id;
    return page;
  } catch (const Poco::Exception& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, "user database: " + e.displayText());
  } catch (const std::runtime_error& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, std::string("user database: ") + e.what());
  }
}

sdk::Result<void> SqlUserStore::set_disabled(std::string_view id, bool disabled) {
  return change_one(kSetDisabled, id, disabled ? 1 : 0);
}

sdk::Result<void> SqlUserStore::remove(std::string_view id) {
  auto removed = change_one(kDelete, id, std::nullopt);
  if (!removed.ok()) return removed;
  // The address is personal data: secure_delete zeroed the row's bytes in the database file,
  // but the write-ahead log still holds the page as it was until a checkpoint empties it.
  std::string why = "a reader kept the log busy for a second";
  try {
    if (db_->truncate_log_within(std::chrono::seconds(1))) return sdk::success();
  } catch (const Poco::Exception& e) {
    why = e.displayText();
  }
  host_.logger().log(sdk::LogLevel::warning,
                     "user deleted; its old pages stay in the write-ahead log until the next "
                     "checkpoint: " +
                         why);
  return sdk::success();
}

sdk::Result<void> SqlUserStore::change_one(const char* statement, std::string_view id,
                                           std::optional<int> value) {
  try {
    std::string key(id);
    std::size_t changed = 0;
    db_->write([&](Poco::Data::Session& s) {
      Poco::Data::Statement change(s);
      if (value) {
        int v = *value;
        change << db_->sql(statement), use(v), useRef(key);
        changed = change.execute();
      } else {
        change << db_->sql(statement), useRef(key);
        changed = change.execute();
      }
    });
    if (changed == 0) return sdk::fail(sdk::ErrorCode::not_found, "no such user");
    return sdk::success();
  } catch (const Poco::Exception& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, "user database: " + e.displayText());
  } catch (const std::runtime_error& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, std::string("user database: ") + e.what());
  }
}

std::string SqlUserStore::list_statement(std::size_t limit) {
  return std::string(kColumns) + kListAfter + std::to_string(limit);
}

std::vector<std::pair<std::string, std::string>> SqlUserStore::statements() const {
  return {{"find_email", db_->sql(std::string(kSelectWhere) + "email = ?")},
          {"find_phone", db_->sql(std::string(kSelectWhere) + "phone = ?")},
          {"get", db_->sql(std::string(kSelectWhere) + "id = ?")},
          {"insert", db_->sql(kInsert)},
          {"list", db_->sql(list_statement(100))},
          {"set_disabled", db_->sql(kSetDisabled)},
          {"delete", db_->sql(kDelete)}};
}

sdk::Result<void> SqlUserStore::ready() {
  try {
    auto lease = db_->session();
    auto& s = *lease;
    int one = 0;
    s << db_->sql("SELECT 1"), into(one), now;
    return sdk::success();
  } catch (const Poco::Exception& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, "user database: " + e.displayText());
  } catch (const std::runtime_error& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, std::string("user database: ") + e.what());
  }
}

}  // namespace linkgate::plugins::sql
