#include "sql_user_store.h"

#include <Poco/Data/Session.h>
#include <Poco/Nullable.h>

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
    " created_at BIGINT NOT NULL)";

constexpr const char* kSelectWhere = "SELECT id, email, phone, locale FROM lg_users WHERE ";
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
    *lease << kSchema, now;
  } catch (const std::exception& e) {
    throw std::runtime_error(std::string("cannot open user database: ") + e.what());
  }
}

sdk::Result<sdk::User> SqlUserStore::select_one(const std::string& column,
                                                const std::string& value) {
  try {
    auto lease = db_->session();
    auto& s = *lease;
    std::string id, locale;
    Poco::Nullable<std::string> email, phone;
    Poco::Data::Statement select(s);
    select << db_->sql(kSelectWhere + column + " = ?"), useRef(value), into(id), into(email),
        into(phone), into(locale), limit(1);
    if (select.execute() == 0) return sdk::fail(sdk::ErrorCode::not_found, "no such user");
    return sdk::User{id, email.isNull() ? "" : email.value(), phone.isNull() ? "" : phone.value(),
                     locale};
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
      s << db_->sql(kInsert), use(id), use(email), use(phone), use(created), now;
    });
  } catch (const Poco::Exception& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, "user database: " + e.displayText());
  } catch (const std::runtime_error& e) {
    return sdk::fail(sdk::ErrorCode::unavailable, std::string("user database: ") + e.what());
  }
  return find(identifier);
}

std::vector<std::pair<std::string, std::string>> SqlUserStore::statements() const {
  return {{"find_email", db_->sql(std::string(kSelectWhere) + "email = ?")},
          {"find_phone", db_->sql(std::string(kSelectWhere) + "phone = ?")},
          {"get", db_->sql(std::string(kSelectWhere) + "id = ?")},
          {"insert", db_->sql(kInsert)}};
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
