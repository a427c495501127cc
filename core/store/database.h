#pragma once
// The core's own database (flows and the outbox): SQLite embedded, through Poco Data.

#include <Poco/Data/Session.h>
#include <Poco/Data/SessionPool.h>

#include <memory>
#include <string>

namespace linkgate::store {

class Database {
 public:
  /// Opens `sqlite:PATH`. Throws std::runtime_error naming the URL when it cannot.
  static std::shared_ptr<Database> open(const std::string& url, int pool_size = 8);

  /// A pooled connection; SQLite connections wait up to 10 s for a concurrent writer.
  Poco::Data::Session session();
  [[nodiscard]] const std::string& url() const { return url_; }

 private:
  Database(std::string url, std::unique_ptr<Poco::Data::SessionPool> pool);
  std::string url_;
  std::unique_ptr<Poco::Data::SessionPool> pool_;
};

}  // namespace linkgate::store
