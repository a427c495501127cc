#include "store/database.h"

#include <Poco/Data/SQLite/Connector.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>

using namespace Poco::Data::Keywords;

namespace linkgate::store {

Lease::Lease(Database& db, Poco::Data::Session session) : session_(std::move(session)) {
  slot_.db = &db;
}

Lease::~Lease() = default;

Lease::Slot::~Slot() {
  if (db) db->release();
}

Database::Database(std::string url, std::unique_ptr<Poco::Data::SessionPool> pool, int size)
    : url_(std::move(url)), pool_(std::move(pool)), free_(size) {}

std::shared_ptr<Database> Database::open(const std::string& url, int pool_size) {
  if (url.rfind("sqlite:", 0) != 0) {
    throw std::runtime_error("database " + url + ": only sqlite:PATH is supported by this build");
  }
  Poco::Data::SQLite::Connector::registerConnector();
  const std::string path = url.substr(7);
  auto parent = std::filesystem::absolute(path).parent_path();
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec || ::access(parent.c_str(), W_OK) != 0) {
    throw std::runtime_error("database " + url + ": cannot create or write to the folder " +
                             parent.string());
  }
  try {
    auto pool = std::make_unique<Poco::Data::SessionPool>("SQLite", path, 1, pool_size, 60);
    std::shared_ptr<Database> db(new Database(url, std::move(pool), pool_size));
    auto s = db->session();
    *s << "PRAGMA journal_mode=WAL", now;
    return db;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("database " + url + ": " + e.displayText());
  }
}

Lease Database::session(std::chrono::milliseconds wait) {
  {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_for(lock, wait, [this] { return free_ > 0; })) {
      throw std::runtime_error("database " + url_ + ": no connection free within the wait");
    }
    --free_;
  }
  try {
    auto s = pool_->get();
    s.setConnectionTimeout(10);
    return Lease(*this, std::move(s));
  } catch (...) {
    release();
    throw;
  }
}

void Database::release() {
  {
    std::lock_guard lock(mutex_);
    ++free_;
  }
  freed_.notify_one();
}

}  // namespace linkgate::store
