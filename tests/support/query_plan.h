#pragma once
// How the database would run a statement: for tests that every statement of a hot path finds its
// rows through an index, on SQLite and on PostgreSQL.

#include <set>
#include <string>

#include "sql/database.h"

namespace linkgate::testing {

/// The plan of @p statement (in @p db's dialect, `?` or `$n` placeholders) with some value in
/// every placeholder: SQLite's EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN with sequential scans
/// priced out (on a table this small it would pick one even with a usable index). One line per
/// step.
std::string plan_of(sql::Database& db, std::string statement);

/// The names of @p table's indexes that a schema statement made (SQLite's automatic ones left
/// out; PostgreSQL's primary key index among them, as `<table>_pkey`).
std::set<std::string> indexes_of(sql::Database& db, const std::string& table);

/// Whether @p plan reads the whole of @p table: SQLite's "SCAN <table>" (a covering-index scan
/// is "SCAN <table> USING ... INDEX", still every row), PostgreSQL's "Seq Scan on <table>".
bool scans_whole_table(const std::string& plan, const std::string& table);

/// How many temporary B-trees SQLite opens each time it runs @p statement on @p db (a SQLite
/// database): the OpenEphemeral steps of its program (for an IN list, a sort, a two-pass
/// UPDATE, RETURNING), each one allocated, filled and freed at every run.
int temporary_btrees_of(sql::Database& db, const std::string& statement);

/// How many index entries SQLite's program for @p statement writes or removes (its IdxInsert and
/// IdxDelete steps): an UPDATE touches only the indexes over a column it changes.
int index_writes_of(sql::Database& db, const std::string& statement);

}  // namespace linkgate::testing
