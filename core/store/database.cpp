#include "store/database.h"

#include <Poco/Data/SQLite/Connector.h>

#include <filesystem>
#include <stdexcept>

using namespace Poco::Data::Keywords;

namespace linkgate::store {

Database::Database(std::string url, std::unique_ptr<Poco::Data::SessionPool> pool)
    : url_(std::move(url)), pool_(std::move(pool)) {}

std::shared_ptr<Database> Database::open(const std::string& url, int pool_size) {
  if (url.rfind("sqlite:", 0) != 0) {
    throw std::runtime_error("database " + url + ": only sqlite:PATH is supported by this build");
  }
  Poco::Data::SQLite::Connector::registerConnector();
  std::string path = url.substr(7);
  auto parent = std::filesystem::path(path).parent_path();
  std::error_code ec;
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  try {
    auto pool = std::make_unique<Poco::Data::SessionPool>("SQLite", path, 1, pool_size, 60);
    std::shared_ptr<Database> db(new Database(url, std::move(pool)));
    auto s = db->session();
    s << "PRAGMA journal_mode=WAL", now;
    return db;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("database " + url + ": " + e.displayText());
  }
}

Poco::Data::Session Database::session() {
  auto s = pool_->get();
  s.setConnectionTimeout(10);
  return s;
}

}  // namespace linkgate::store
