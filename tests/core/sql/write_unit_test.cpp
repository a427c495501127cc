// Writes that commit together: what a unit holds is written by one Database::write() when it
// commits — all of it or none — and only code that asks for the unit open on its own thread,
// for its own database, finds it.
#include "sql/write_unit.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <thread>

#include "core/sql/numbers_table.h"
#include "sql/database.h"

namespace linkgate::sql {
namespace {

using Table = testing::NumbersTable;

TEST(WriteUnit, WhatItHoldsIsCommittedInOneCallWithTheLastWrite) {
  Table table;
  const auto calls = table.db->group_commit()->calls();
  {
    WriteUnit unit(*table.db);
    unit.add(table.inserting(1));
    unit.add(table.inserting(2));
    EXPECT_EQ(table.count(), 0) << "nothing is written before the unit commits";
    unit.commit(table.inserting(3));
  }
  EXPECT_EQ(table.count(), 3);
  EXPECT_EQ(table.db->group_commit()->calls() - calls, 1u) << "one write, one commit";
}

TEST(WriteUnit, WhenAnyWriteFailsNoneIsKept) {
  Table table;
  {
    WriteUnit unit(*table.db);
    unit.add(table.inserting(1));
    EXPECT_THROW(unit.commit([](Poco::Data::Session&) { throw Conflict("changed meanwhile"); }),
                 Conflict);
  }
  {
    WriteUnit unit(*table.db);
    unit.add([](Poco::Data::Session&) { throw Conflict("already there"); });
    EXPECT_THROW(unit.commit(table.inserting(2)), Conflict);
  }
  EXPECT_EQ(table.count(), 0);
  table.db->write(table.inserting(4));
  EXPECT_EQ(table.count(), 1) << "the database is writable after a failed unit";
}

TEST(WriteUnit, AUnitThatIsNotCommittedWritesNothing) {
  Table table;
  {
    WriteUnit unit(*table.db);
    unit.add(table.inserting(1));
  }
  EXPECT_EQ(table.count(), 0);
  EXPECT_EQ(WriteUnit::open_for(*table.db), nullptr) << "closed with its scope";
}

TEST(WriteUnit, OnlyItsOwnThreadAndItsOwnDatabaseFindIt) {
  Table table;
  Table other;
  WriteUnit unit(*table.db);
  EXPECT_EQ(WriteUnit::open_for(*table.db), &unit);
  EXPECT_EQ(WriteUnit::open_for(*other.db), nullptr);
  const WriteUnit* seen_elsewhere = &unit;
  std::thread([&] { seen_elsewhere = WriteUnit::open_for(*table.db); }).join();
  EXPECT_EQ(seen_elsewhere, nullptr);
  {
    WriteUnit inner(*other.db);
    EXPECT_EQ(WriteUnit::open_for(*other.db), &inner);
    EXPECT_EQ(WriteUnit::open_for(*table.db), nullptr) << "the inner unit hides the outer";
  }
  EXPECT_EQ(WriteUnit::open_for(*table.db), &unit) << "and the outer is back once it closes";
  unit.commit([](Poco::Data::Session&) {});
  EXPECT_EQ(WriteUnit::open_for(*table.db), nullptr) << "closed by its commit";
}

}  // namespace
}  // namespace linkgate::sql
