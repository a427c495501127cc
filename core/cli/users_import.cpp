#include "cli/users_import.h"

#include "identity/identifier.h"

namespace linkgate::cli {
namespace {

enum class Line { ok, too_long, end };

/// The next line of @p in into @p line, without its newline; a line longer than the limit is
/// read to its end and dropped, so a hostile file costs no more memory than a good one.
Line next_line(std::istream& in, std::string& line) {
  line.clear();
  bool too_long = false;
  int c = 0;
  bool any = false;
  while ((c = in.get()) != std::char_traits<char>::eof()) {
    any = true;
    if (c == '\n') break;
    if (line.size() < kMaxImportLine) {
      line.push_back(static_cast<char>(c));
    } else {
      too_long = true;
    }
  }
  if (!any) return Line::end;
  return too_long ? Line::too_long : Line::ok;
}

std::string trimmed(const std::string& s) {
  const char* space = " \t\r\f\v";
  const auto first = s.find_first_not_of(space);
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(space) - first + 1);
}

void refuse(ImportReport& report, std::size_t line, std::string why) {
  ++report.refused;
  if (report.refusals.size() < ImportReport::kMaxRefusals)
    report.refusals.push_back({line, std::move(why)});
}

}  // namespace

ImportReport import_users(std::istream& in, sdk::UserStore& users,
                          const std::function<void(const sdk::User&)>& added) {
  ImportReport report;
  std::string raw;
  for (std::size_t number = 1;; ++number) {
    const Line read = next_line(in, raw);
    if (read == Line::end) break;
    if (read == Line::too_long) {
      refuse(report, number, "longer than " + std::to_string(kMaxImportLine) + " bytes");
      continue;
    }
    const std::string text = trimmed(raw);
    if (text.empty() || text.front() == '#') continue;
    auto address = identity::parse_identifier(text);
    if (!address.ok()) {
      refuse(report, number, address.error().message);
      continue;
    }
    auto found = users.find(address.value());
    if (found.ok()) {
      ++report.existing;
      continue;
    }
    if (found.code() != sdk::ErrorCode::not_found) {
      report.stopped = ImportReport::Refusal{number, found.error().message};
      break;
    }
    auto made = users.create(address.value());
    if (!made.ok()) {
      report.stopped = ImportReport::Refusal{number, made.error().message};
      break;
    }
    ++report.added;
    added(made.value());
  }
  return report;
}

}  // namespace linkgate::cli
