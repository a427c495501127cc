#include "sql/write_unit.h"

#include <utility>

#include "sql/database.h"

namespace linkgate::sql {
namespace {

thread_local WriteUnit* unit_here = nullptr;

}  // namespace

WriteUnit::WriteUnit(Database& db) : db_(db), outer_(std::exchange(unit_here, this)) {}

WriteUnit::~WriteUnit() {
  close();
}

void WriteUnit::close() {
  if (!open_) return;
  open_ = false;
  unit_here = outer_;
}

WriteUnit* WriteUnit::open_for(const Database& db) {
  return unit_here != nullptr && &unit_here->db_ == &db ? unit_here : nullptr;
}

void WriteUnit::add(GroupCommit::Work work) {
  works_.push_back(std::move(work));
}

void WriteUnit::commit(const GroupCommit::Work& last) {
  close();
  db_.write([&](Poco::Data::Session& s) {
    for (const auto& work : works_) work(s);
    last(s);
  });
}

void WriteUnit::commit_then(GroupCommit::Work last, GroupCommit::Done done) {
  close();
  db_.write_then(
      [works = std::move(works_), last = std::move(last)](Poco::Data::Session& s) {
        for (const auto& work : works) work(s);
        last(s);
      },
      std::move(done));
}

}  // namespace linkgate::sql
