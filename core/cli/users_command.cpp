#include "cli/users_command.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <vector>

#include "cli/exit_codes.h"
#include "cli/text_table.h"
#include "cli/users_import.h"
#include "identity/identifier.h"

namespace linkgate::cli {

const std::set<std::string> kUsersOptions{"limit", "after"};
const std::set<std::string> kUsersFlags{"json"};

void users_help(std::ostream& out) {
  out << "usage: linkgate users <command> [--config FILE] [--json]\n"
         "  list [--limit N] [--after ID]   every user (id, e-mail, phone, state), by id\n"
         "  add ADDRESS                     make a user for an e-mail address or +E.164 number\n"
         "  import FILE                     add every address in FILE (one a line; - reads\n"
         "                                  standard input); existing users stay as they are\n"
         "  disable USER                    refuse the user's sign-ins and outstanding links\n"
         "  enable USER                     let a disabled user sign in again\n"
         "  delete USER                     delete the user (a later sign-up makes a new id)\n"
         "USER is an id, an e-mail address or a phone number. The yaml store is read-only: list\n"
         "works, the rest say so (edit the file, then `linkgate reload`).\n"
         "Run as root, the command becomes the owner of data_dir first.\n"
         "exit: 0 done, 1 failed or refused by the store, 2 usage, 3 no such user,\n"
         "      78 configuration unusable\n";
}

namespace {

Poco::JSON::Object::Ptr json_of(const sdk::User& user) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", user.id);
  o->set("email", user.email);
  o->set("phone", user.phone);
  o->set("locale", user.locale);
  o->set("disabled", user.disabled);
  return o;
}

int failed(const sdk::Error& error, const std::string& what, std::ostream& err) {
  err << what << ": " << error.message << "\n";
  return error.code == sdk::ErrorCode::not_found ? kExitNotFound : kExitFailed;
}

/// The user named by @p who: an address when it parses as one, else an id.
sdk::Result<sdk::User> find_user(sdk::UserStore& users, const std::string& who) {
  if (auto address = identity::parse_identifier(who); address.ok()) {
    auto found = users.find(address.value());
    if (found.code() == sdk::ErrorCode::not_found)
      return sdk::fail(sdk::ErrorCode::not_found, "no user with the address " + who);
    return found;
  }
  auto got = users.get(who);
  if (got.code() == sdk::ErrorCode::not_found)
    return sdk::fail(sdk::ErrorCode::not_found, "no user with the id " + who);
  return got;
}

void record(audit::AuditSink& audit, const std::string& event, const std::string& subject,
            std::int64_t now_ms) {
  audit::AuditEvent e;
  e.event = event;
  e.subject = subject;
  e.client = "operator";
  audit.record(e, now_ms);
}

void print(const sdk::User& user, const std::string& status, bool json, std::ostream& out) {
  if (json) {
    auto o = json_of(user);
    o->set("status", status);
    o->stringify(out);
    out << "\n";
    return;
  }
  out << status << " " << user.id << (user.email.empty() ? "" : " " + user.email)
      << (user.phone.empty() ? "" : " " + user.phone) << "\n";
}

int list(const Arguments& a, sdk::UserStore& users, std::ostream& out, std::ostream& err) {
  std::string problem;
  const auto limit = a.count("limit", SIZE_MAX, problem);
  if (!limit) {
    err << problem << "\n";
    return kExitUsage;
  }
  const std::size_t wanted = *limit;
  std::vector<sdk::User> all;
  std::string after = a.option("after").value_or("");
  do {
    auto page = users.list(after, std::min<std::size_t>(500, wanted - all.size()));
    if (!page.ok()) return failed(page.error(), "users list", err);
    all.insert(all.end(), page->users.begin(), page->users.end());
    after = page->next_after;
  } while (!after.empty() && all.size() < wanted);
  if (a.has("json")) {
    Poco::JSON::Object document;
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& user : all) list->add(json_of(user));
    document.set("users", list);
    document.set("next_after", after);  // where a --limit'ed listing goes on
    document.stringify(out);
    out << "\n";
    return kExitOk;
  }
  TextTable table({"ID", "EMAIL", "PHONE", "LOCALE", "STATE"});
  for (const auto& u : all) {
    table.add({u.id, u.email.empty() ? "-" : u.email, u.phone.empty() ? "-" : u.phone,
               u.locale.empty() ? "-" : u.locale, u.disabled ? "disabled" : "active"});
  }
  table.print(out);
  out << all.size() << " user(s)" << (after.empty() ? "" : "; more after " + after) << "\n";
  return kExitOk;
}

int add(const Arguments& a, sdk::UserStore& users, audit::AuditSink& audit, std::int64_t now_ms,
        std::ostream& out, std::ostream& err) {
  if (a.words.size() != 2) {
    err << "usage: linkgate users add ADDRESS\n";
    return kExitUsage;
  }
  auto address = identity::parse_identifier(a.words[1]);
  if (!address.ok()) {
    err << "users add: " << address.error().message << "\n";
    return kExitUsage;
  }
  if (auto existing = users.find(address.value()); existing.ok()) {
    print(existing.value(), "exists", a.has("json"), out);
    return kExitOk;
  } else if (existing.code() != sdk::ErrorCode::not_found) {
    return failed(existing.error(), "users add", err);
  }
  auto made = users.create(address.value());
  if (!made.ok()) return failed(made.error(), "users add", err);
  record(audit, "user_added", made->id, now_ms);
  print(made.value(), "added", a.has("json"), out);
  return kExitOk;
}

void print(const ImportReport& report, const std::string& from, bool json, std::ostream& out) {
  if (json) {
    Poco::JSON::Object o;
    o.set("added", report.added);
    o.set("existing", report.existing);
    o.set("refused", report.refused);
    Poco::JSON::Array problems;
    for (const auto& r : report.refusals) {
      Poco::JSON::Object p;
      p.set("line", r.line);
      p.set("error", r.why);
      problems.add(p);
    }
    o.set("refusals", problems);
    if (report.stopped) {
      Poco::JSON::Object p;
      p.set("line", report.stopped->line);
      p.set("error", report.stopped->why);
      o.set("stopped", p);
    }
    o.stringify(out);
    out << "\n";
    return;
  }
  for (const auto& r : report.refusals) out << from << ":" << r.line << ": " << r.why << "\n";
  if (report.refused > report.refusals.size())
    out << "(" << report.refused - report.refusals.size() << " more lines refused)\n";
  if (report.stopped) {
    out << from << ":" << report.stopped->line
        << ": the store failed, import stopped here: " << report.stopped->why << "\n";
  }
  out << report.added << " added, " << report.existing << " existing, " << report.refused
      << " refused\n";
}

int import(const Arguments& a, sdk::UserStore& users, audit::AuditSink& audit, std::int64_t now_ms,
           std::ostream& out, std::ostream& err) {
  if (a.words.size() != 2) {
    err << "usage: linkgate users import FILE   (- for standard input)\n";
    return kExitUsage;
  }
  const std::string& from = a.words[1];
  std::ifstream file;
  if (from != "-") {
    file.open(from, std::ios::binary);
    if (!file) {
      err << "users import: cannot read " << from << "\n";
      return kExitFailed;
    }
  }
  std::istream& in = from == "-" ? std::cin : file;
  const auto report = import_users(
      in, users, [&](const sdk::User& user) { record(audit, "user_added", user.id, now_ms); });
  print(report, from == "-" ? "stdin" : from, a.has("json"), out);
  return report.refused == 0 && !report.stopped ? kExitOk : kExitFailed;
}

int change(const Arguments& a, sdk::UserStore& users, audit::AuditSink& audit, std::int64_t now_ms,
           std::ostream& out, std::ostream& err) {
  const std::string& verb = a.words[0];
  if (a.words.size() != 2) {
    err << "usage: linkgate users " << verb << " USER\n";
    return kExitUsage;
  }
  auto user = find_user(users, a.words[1]);
  if (!user.ok()) return failed(user.error(), "users " + verb, err);
  sdk::Result<void> done = sdk::success();
  if (verb == "delete") {
    done = users.remove(user->id);
  } else {
    done = users.set_disabled(user->id, verb == "disable");
    user->disabled = verb == "disable";
  }
  if (!done.ok()) return failed(done.error(), "users " + verb, err);
  const std::string status = verb == "delete" ? "deleted" : verb + "d";
  record(audit, "user_" + status, user->id, now_ms);
  print(user.value(), status, a.has("json"), out);
  return kExitOk;
}

}  // namespace

int run_users(const Arguments& a, sdk::UserStore& users, audit::AuditSink& audit,
              std::int64_t now_ms, std::ostream& out, std::ostream& err) {
  const std::string verb = a.words.empty() ? "" : a.words[0];
  if (verb == "list") return list(a, users, out, err);
  if (verb == "add") return add(a, users, audit, now_ms, out, err);
  if (verb == "import") return import(a, users, audit, now_ms, out, err);
  if (verb == "disable" || verb == "enable" || verb == "delete")
    return change(a, users, audit, now_ms, out, err);
  users_help(err);
  return kExitUsage;
}

}  // namespace linkgate::cli
