#pragma once
// A SQLite database of its own with one table of numbers, for the tests of how writes commit:
// a write that inserts a number, and how many rows a reader sees.

#include <memory>
#include <string>

#include "sql/database.h"
#include "support/temp_dir.h"

namespace linkgate::testing {

struct NumbersTable {
  TempDir dir;
  std::shared_ptr<sql::Database> db = sql::Database::open("sqlite:" + dir.file("numbers.db"));

  NumbersTable() {
    auto lease = db->session();
    *lease << "CREATE TABLE t (n INTEGER PRIMARY KEY)", Poco::Data::Keywords::now;
  }
  /// A write that inserts @p n.
  static sql::GroupCommit::Work inserting(int n) {
    return [n](Poco::Data::Session& s) {
      int value = n;
      s << "INSERT INTO t (n) VALUES (?)", Poco::Data::Keywords::use(value),
          Poco::Data::Keywords::now;
    };
  }
  void insert(int n) { db->write(inserting(n)); }
  /// Rows seen on a pooled connection of its own, as any other request would read.
  int count() {
    auto lease = db->session();
    int n = 0;
    *lease << "SELECT COUNT(*) FROM t", Poco::Data::Keywords::into(n), Poco::Data::Keywords::now;
    return n;
  }
};

}  // namespace linkgate::testing
