#include "support/query_plan.h"

#include <Poco/Data/SQLite/Utility.h>
#include <Poco/Data/Session.h>
#include <sqlite3.h>

#include <cstring>
#include <initializer_list>
#include <stdexcept>

#include <vector>

namespace linkgate::testing {

namespace {

// EXPLAIN reads no page, so it never notices that another connection changed the schema since
// this one last read it (an index made since): a read first makes the connection look.
void read_the_schema(Poco::Data::Session& s) {
  int tables = 0;
  s << "SELECT COUNT(*) FROM sqlite_master", Poco::Data::Keywords::into(tables),
      Poco::Data::Keywords::now;
}

}  // namespace

std::string plan_of(sql::Database& db, std::string statement) {
  for (std::size_t at = 0; (at = statement.find('?', at)) != std::string::npos;) {
    statement.replace(at, 1, "'1'");
  }
  for (int n = 30; n >= 1; --n) {
    const std::string placeholder = "$" + std::to_string(n);
    for (std::size_t at = 0; (at = statement.find(placeholder, at)) != std::string::npos;) {
      statement.replace(at, placeholder.size(), "'1'");
    }
  }
  auto lease = db.session();
  std::vector<std::string> lines;
  if (db.dialect() == sql::Dialect::postgresql) {
    *lease << "SET enable_seqscan = off", Poco::Data::Keywords::now;
    *lease << "EXPLAIN " + statement, Poco::Data::Keywords::into(lines), Poco::Data::Keywords::now;
    *lease << "SET enable_seqscan = on", Poco::Data::Keywords::now;
  } else {
    read_the_schema(*lease);
    std::vector<int> ids, parents, unused;
    *lease << "EXPLAIN QUERY PLAN " + statement, Poco::Data::Keywords::into(ids),
        Poco::Data::Keywords::into(parents), Poco::Data::Keywords::into(unused),
        Poco::Data::Keywords::into(lines), Poco::Data::Keywords::now;
  }
  std::string plan;
  for (const auto& line : lines) plan += line + "\n";
  return plan;
}

std::set<std::string> indexes_of(sql::Database& db, const std::string& table) {
  auto lease = db.session();
  std::vector<std::string> names;
  std::string name = table;
  *lease << db.sql(db.dialect() == sql::Dialect::postgresql
                       ? "SELECT indexname FROM pg_indexes"
                         " WHERE schemaname = current_schema() AND tablename = ?"
                       : "SELECT name FROM sqlite_master WHERE type = 'index'"
                         " AND tbl_name = ? AND sql IS NOT NULL"),
      Poco::Data::Keywords::useRef(name), Poco::Data::Keywords::into(names),
      Poco::Data::Keywords::now;
  return {names.begin(), names.end()};
}

bool scans_whole_table(const std::string& plan, const std::string& table) {
  for (const std::string& needle : {"SCAN " + table + "\n", "SCAN " + table + " ",
                                    "Seq Scan on " + table + " ", "Seq Scan on " + table + "\n"}) {
    if (plan.find(needle) != std::string::npos) return true;
  }
  return false;
}

namespace {

// How many steps of SQLite's program for @p statement are one of @p opcodes.
int steps_of(sql::Database& db, const std::string& statement,
             std::initializer_list<const char*> opcodes) {
  auto lease = db.session();
  read_the_schema(*lease);
  sqlite3* handle = Poco::Data::SQLite::Utility::dbHandle(*lease);
  sqlite3_stmt* program = nullptr;
  const std::string explain = "EXPLAIN " + statement;
  if (sqlite3_prepare_v2(handle, explain.c_str(), -1, &program, nullptr) != SQLITE_OK) {
    throw std::runtime_error(std::string("EXPLAIN: ") + sqlite3_errmsg(handle));
  }
  int count = 0;
  while (sqlite3_step(program) == SQLITE_ROW) {
    const auto* opcode = reinterpret_cast<const char*>(sqlite3_column_text(program, 1));
    for (const char* wanted : opcodes) {
      if (opcode != nullptr && std::strcmp(opcode, wanted) == 0) ++count;
    }
  }
  sqlite3_finalize(program);
  return count;
}

}  // namespace

int temporary_btrees_of(sql::Database& db, const std::string& statement) {
  return steps_of(db, statement, {"OpenEphemeral"});
}

int index_writes_of(sql::Database& db, const std::string& statement) {
  return steps_of(db, statement, {"IdxInsert", "IdxDelete"});
}

}  // namespace linkgate::testing
