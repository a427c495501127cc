#include "sql/database.h"
#include "util/blocking.h"

#include <Poco/Data/PostgreSQL/Connector.h>
#include <Poco/Data/SQLite/Connector.h>

#include <Poco/URI.h>

#include <fcntl.h>
#include <unistd.h>
#include <regex>

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <thread>

using namespace Poco::Data::Keywords;

namespace linkgate::sql {
PooledConnection::PooledConnection(Poco::Data::Session s, bool sqlite) : session(std::move(s)) {
  if (sqlite) statements = std::make_unique<SqliteStatements>(session);
}

Lease::~Lease() {
  if (db_) db_->give_back(connection_);
}

Database::Database(std::string url, Dialect dialect, std::string connector, std::string connection,
                   int size)
    : url_(std::move(url)),
      dialect_(dialect),
      connector_(std::move(connector)),
      connection_(std::move(connection)),
      free_(size) {}

std::string Database::sql(const std::string& statement) const {
  if (dialect_ == Dialect::sqlite) return statement;
  std::string out;
  int n = 0;
  for (char c : statement) {
    if (c == '?') {
      out += "$" + std::to_string(++n);
    } else {
      out += c;
    }
  }
  return out;
}

std::string postgres_conninfo(const std::string& url) {
  if (url.find("://") == std::string::npos)
    return url.substr(url.find(':') + 1);  // already key=value
  Poco::URI uri(url);
  auto quote = [](const std::string& v) {
    std::string out = "'";
    for (char c : v) {
      if (c == '\'' || c == '\\') out += '\\';
      out += c;
    }
    return out + "'";
  };
  std::string info;
  auto add = [&](const std::string& key, const std::string& value) {
    if (!value.empty()) info += (info.empty() ? "" : " ") + key + "=" + quote(value);
  };
  add("host", uri.getHost());
  if (uri.getPort() != 0) add("port", std::to_string(uri.getPort()));
  std::string path = uri.getPath();
  add("dbname", path.empty() ? "" : path.substr(1));
  const std::string userinfo = uri.getUserInfo();
  const auto colon = userinfo.find(':');
  add("user", userinfo.substr(0, colon));
  if (colon != std::string::npos) add("password", userinfo.substr(colon + 1));
  for (const auto& [key, value] : uri.getQueryParameters()) add(key, value);
  return info;
}

std::string Database::sqlite_file() const {
  if (dialect_ != Dialect::sqlite || connection_.empty() || connection_ == ":memory:" ||
      connection_.rfind("file:", 0) == 0) {
    return "";
  }
  return connection_;
}

std::string Database::safe_url() const {
  static const std::regex kUrlPassword(R"(://([^:/@]*):[^@]*@)");
  static const std::regex kConninfoPassword(R"(password\s*=\s*('[^']*'|\S+))");
  std::string out = std::regex_replace(url_, kUrlPassword, "://$1:***@");
  return std::regex_replace(out, kConninfoPassword, "password=***");
}

std::shared_ptr<Database> Database::open(const std::string& url, int pool_size,
                                         int checkpoint_frames) {
  if (url.rfind("postgresql:", 0) == 0 || url.rfind("postgres:", 0) == 0) {
    Poco::Data::PostgreSQL::Connector::registerConnector();
    // Poco parses the connection string itself and takes only libpq's key=value form.
    const std::string conninfo = postgres_conninfo(url);
    std::shared_ptr<Database> db;
    try {
      db.reset(new Database(url, Dialect::postgresql, "PostgreSQL", conninfo, pool_size),
               &Database::let_go);
      auto s = db->session();
      int one = 0;
      *s << "SELECT 1", into(one), now;
      return db;
    } catch (const Poco::Exception& e) {
      std::string shown = db ? db->safe_url() : "postgresql";
      throw std::runtime_error("database " + shown + ": " + e.displayText());
    }
  }
  if (url.rfind("sqlite:", 0) != 0) {
    throw std::runtime_error("database: expected sqlite:PATH or postgresql://..., got \"" +
                             url.substr(0, url.find(':')) + ":...\"");
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
    std::shared_ptr<Database> db(new Database(url, Dialect::sqlite, "SQLite", path, pool_size),
                                 &Database::let_go);
    {
      auto s = db->session();
      *s << "PRAGMA journal_mode=WAL", now;
    }
    Poco::Data::Session writer = db->connect();
    // In WAL mode, NORMAL syncs at checkpoints instead of on every commit. A committed row
    // survives the process dying (SIGKILL) — what the outbox promises — though not the machine
    // losing power in the moment after. Only the writer commits rows; the pooled connections
    // read (and create tables at start, with SQLite's fuller default).
    writer << "PRAGMA synchronous=NORMAL", now;
    // What a row gives up (an erased message body) is overwritten with zeros in its page, and
    // freed pages are zeroed, instead of lingering as free space. Set on the writer only: every
    // write that erases goes through it (write()), and a PRAGMA per pooled lease would cost
    // every read.
    writer << "PRAGMA secure_delete=ON", now;
    // Each call commits inside a savepoint, whose undo record (the pages it changes, as they
    // were) SQLite spills to a temporary file in /var/tmp past 64 KiB: a file created and
    // written with a syscall per page in every large batch, holding the erased bodies' old
    // pages outside the data folder. In memory it is neither; it lasts one call.
    writer << "PRAGMA temp_store=MEMORY", now;
    db->checkpointer_ = std::make_unique<Checkpointer>(db->connect(), writer, checkpoint_frames);
    db->writer_ = std::make_unique<GroupCommit>(std::move(writer));
    return db;
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("database " + url + ": " + e.displayText());
  }
}

void Database::let_go(Database* db) {
  if (db->writer_ && db->writer_->runs_on_this_thread()) {
    std::thread([db] { delete db; }).detach();
    return;
  }
  delete db;
}

Poco::Data::Session Database::connect() const {
  Poco::Data::Session session(connector_, connection_);
  // SQLite: wait up to 10 s for a concurrent writer (another process's) instead of failing.
  if (dialect_ == Dialect::sqlite) session.setConnectionTimeout(10);
  return session;
}

Lease Database::session(std::chrono::milliseconds wait) {
  std::optional<PooledConnection> idle;
  {
    if (dialect_ != Dialect::sqlite) util::about_to_block();  // round trips across the network
    std::unique_lock lock(mutex_);
    if (free_ == 0) util::about_to_block();
    if (!freed_.wait_for(lock, wait, [this] { return free_ > 0; })) {
      throw std::runtime_error("database " + url_ + ": no connection free within the wait");
    }
    --free_;
    if (!idle_.empty()) {
      idle.emplace(std::move(idle_.back()));
      idle_.pop_back();
    }
  }
  try {
    if (!idle || !idle->session.isConnected()) idle.emplace(connect(), dialect_ == Dialect::sqlite);
    return Lease(*this, std::move(*idle));
  } catch (...) {
    release();
    throw;
  }
}

void Database::give_back(PooledConnection& connection) {
  Poco::Data::Session& session = connection.session;
  bool fit = false;
  try {
    if (session.isTransaction()) session.rollback();
    fit = session.isConnected();
  } catch (const Poco::Exception&) {
    // Not fit for the next lease: closed when it goes.
  }
  {
    std::lock_guard lock(mutex_);
    if (fit) idle_.push_back(std::move(connection));
    ++free_;
  }
  freed_.notify_one();
}

void Database::write(const GroupCommit::Work& work) {
  if (writer_) return writer_->run(work);
  auto lease = session();
  auto& s = *lease;
  s << "BEGIN", now;
  try {
    work(s);
    s << "COMMIT", now;
  } catch (...) {
    try {
      s << "ROLLBACK", now;
    } catch (...) {
      // The connection is gone; so is the transaction.
    }
    throw;
  }
}

void Database::write_then(GroupCommit::Work work, GroupCommit::Done done) {
  if (writer_) return writer_->submit(std::move(work), std::move(done));
  std::exception_ptr failed;
  try {
    write(work);
  } catch (...) {
    failed = std::current_exception();
  }
  done(failed);
}

bool Database::truncate_log() {
  // On the writer's own connection: see GroupCommit::truncate_log.
  return dialect_ != Dialect::sqlite || writer_->truncate_log();
}

GroupCommit::Scrub Database::scrub_log(bool more_erased, std::chrono::milliseconds patience) {
  if (dialect_ != Dialect::sqlite) return {};
  const auto scrub = writer_->scrub_log(more_erased, patience);
  if (scrub.finished == GroupCommit::Scrub::By::nothing) return scrub;
  // The zeros were written into the page cache; the checkpoints sync the log often under load,
  // but an idle one might wait for the kernel's writeback.
  const std::string log = connection_ + "-wal";
  if (const int fd = ::open(log.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    const int synced = ::fdatasync(fd);
    ::close(fd);
    if (synced != 0) throw std::runtime_error("database " + url_ + ": syncing its log failed");
  }
  return scrub;
}

bool Database::truncate_log_within(std::chrono::milliseconds patience) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (!truncate_log()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

void Database::release() {
  {
    std::lock_guard lock(mutex_);
    ++free_;
  }
  freed_.notify_one();
}

void drop_index_if_present(const Database& db, Poco::Data::Session& s, const std::string& name) {
  using Poco::Data::Keywords::into;
  using Poco::Data::Keywords::now;
  using Poco::Data::Keywords::useRef;
  std::int64_t found = 0;
  s << db.sql(db.dialect() == Dialect::postgresql
                  ? "SELECT COUNT(*) FROM pg_indexes"
                    " WHERE schemaname = current_schema() AND indexname = ?"
                  : "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?"),
      useRef(name), into(found), now;
  if (found > 0) s << db.sql("DROP INDEX IF EXISTS " + name), now;
}

}  // namespace linkgate::sql
