#include "cli/outbox_command.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <limits>

#include "cli/exit_codes.h"
#include "cli/text_table.h"
#include "config/duration.h"
#include "identity/identifier.h"
#include "util/redact.h"

namespace linkgate::cli {

const std::set<std::string> kOutboxOptions{"state", "limit", "older-than"};
const std::set<std::string> kOutboxFlags{"json", "all", "finished"};

void outbox_help(std::ostream& out) {
  out << "usage: linkgate outbox <command> [--config FILE] [--json]\n"
         "  list [--state S[,S…]|all] [--limit N]\n"
         "        messages oldest first (default: pending,sending): id, state, channel,\n"
         "        masked recipient, attempts, next attempt, last error — never a link or code\n"
         "  retry ID… | --all\n"
         "        send pending messages now instead of after their back-off wait (after a\n"
         "        relay came back). A dead message cannot be retried: its link and code were\n"
         "        erased when it was given up; the user asks for a new link.\n"
         "  purge ID… | --finished [--older-than DURATION]\n"
         "        delete messages (a pending one's link and code go with it), or every sent,\n"
         "        dead and suppressed message (older than DURATION, e.g. 1h)\n"
         "An id that starts with '-' goes after --, e.g. `outbox purge -- -AbC…`.\n"
         "Run as root, the command becomes the owner of data_dir first.\n"
         "exit: 0 done, 1 failed, 2 usage, 3 no such message, 78 configuration unusable\n";
}

namespace {

std::string channel_name(const OutboxContext& c, int index) {
  if (index == outbox::kDiscard) return "(discarded)";
  if (index < 0 || static_cast<std::size_t>(index) >= c.channels.size())
    return "#" + std::to_string(index);
  return c.channels[static_cast<std::size_t>(index)];
}

std::string masked(const outbox::QueuedMessage& m) {
  return identity::mask({m.kind, m.recipient});
}

/// An error as stored may quote the address (a relay's "550 <bob@…>") or carry anything a
/// server sent: addresses out, control characters (a terminal's escapes) out.
std::string printable_error(const std::string& error) {
  std::string text = util::redact_addresses(error);
  std::replace_if(
      text.begin(), text.end(), [](unsigned char ch) { return ch < 0x20 || ch == 0x7f; }, ' ');
  return text;
}

std::string age(std::int64_t seconds) {
  if (seconds < 0) seconds = 0;
  if (seconds < 120) return std::to_string(seconds) + "s";
  if (seconds < 7200) return std::to_string(seconds / 60) + "m";
  if (seconds < 172800) return std::to_string(seconds / 3600) + "h";
  return std::to_string(seconds / 86400) + "d";
}

Poco::JSON::Object::Ptr json_of(const outbox::QueuedMessage& m, const OutboxContext& c) {
  Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
  o->set("id", m.id);
  o->set("flow_id", m.flow_id);
  o->set("state", m.state);
  o->set("channel", channel_name(c, m.channel_index));
  o->set("recipient", masked(m));
  o->set("attempts", m.attempts);
  o->set("next_attempt_at", m.next_attempt_at);
  o->set("created_at", m.created_at);
  o->set("updated_at", m.updated_at);
  o->set("expires_at", m.expires_at);
  o->set("last_error", printable_error(m.last_error));
  return o;
}

int failed(const sdk::Error& error, const std::string& what, std::ostream& err) {
  err << what << ": " << error.message << "\n";
  return error.code == sdk::ErrorCode::not_found ? kExitNotFound
         : error.code == sdk::ErrorCode::invalid ? kExitUsage
                                                 : kExitFailed;
}

int list(const Arguments& a, OutboxContext& c, std::ostream& out, std::ostream& err) {
  std::vector<std::string> states;
  const std::string wanted = a.option("state").value_or("pending,sending");
  if (wanted == "all") {
    states = outbox::message_states();
  } else {
    for (std::size_t at = 0; at <= wanted.size();) {
      auto comma = std::min(wanted.find(',', at), wanted.size());
      states.push_back(wanted.substr(at, comma - at));
      at = comma + 1;
    }
  }
  std::string problem;
  const auto limit = a.count("limit", 100, problem);
  if (!limit) {
    err << problem << "\n";
    return kExitUsage;
  }
  auto messages = c.admin.list(states, *limit);
  if (!messages.ok()) return failed(messages.error(), "outbox list", err);
  auto counts = c.store.counts();
  if (a.has("json")) {
    Poco::JSON::Object document;
    Poco::JSON::Array::Ptr list = new Poco::JSON::Array;
    for (const auto& m : messages.value()) list->add(json_of(m, c));
    document.set("messages", list);
    Poco::JSON::Object::Ptr totals = new Poco::JSON::Object;
    if (counts.ok()) {
      for (const auto& [state, n] : counts.value()) totals->set(state, n);
    }
    document.set("counts", totals);
    document.stringify(out);
    out << "\n";
    return kExitOk;
  }
  TextTable table({"ID", "STATE", "CHANNEL", "TO", "TRIES", "AGE", "NEXT", "LAST ERROR"});
  for (const auto& m : messages.value()) {
    const bool waiting = m.state == "pending" && m.next_attempt_at > c.now;
    table.add({m.id, m.state, channel_name(c, m.channel_index), masked(m),
               std::to_string(m.attempts), age(c.now - m.created_at),
               waiting ? "in " + age(m.next_attempt_at - c.now) : "-",
               m.last_error.empty() ? "-" : printable_error(m.last_error)});
  }
  table.print(out);
  if (counts.ok()) {
    std::string line;
    for (const auto& state : outbox::message_states()) {
      auto it = counts->find(state);
      line += (line.empty() ? "" : ", ") + state + " " +
              std::to_string(it == counts->end() ? 0 : it->second);
    }
    out << line << "\n";
  }
  return kExitOk;
}

/// Each id's outcome of retry or purge: "ID: status" lines, or with --json one array of
/// {"id", "status"} once all are done.
class IdOutcomes {
 public:
  IdOutcomes(bool json, std::ostream& out) : json_(json), out_(out) {}
  void add(const std::string& id, const std::string& status) {
    if (!json_) {
      out_ << id << ": " << status << "\n";
      return;
    }
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("id", id);
    o->set("status", status);
    all_.add(o);
  }
  ~IdOutcomes() {
    if (!json_) return;
    all_.stringify(out_);
    out_ << "\n";
  }

 private:
  bool json_;
  std::ostream& out_;
  Poco::JSON::Array all_;
};

int retry(const Arguments& a, OutboxContext& c, std::ostream& out, std::ostream& err) {
  const bool json = a.has("json");
  if (a.has("all") == (a.words.size() > 1)) {
    err << "usage: linkgate outbox retry ID… | --all\n";
    return kExitUsage;
  }
  if (a.has("all")) {
    auto n = c.admin.retry_all(c.now);
    if (!n.ok()) return failed(n.error(), "outbox retry", err);
    if (json) {
      out << "{\"retried\":" << n.value() << "}\n";
    } else {
      out << n.value() << " waiting message(s) due now\n";
    }
    return kExitOk;
  }
  int code = kExitOk;
  IdOutcomes outcomes(json, out);
  for (std::size_t i = 1; i < a.words.size(); ++i) {
    const std::string& id = a.words[i];
    auto message = c.admin.get(id);
    if (!message.ok()) {
      code = std::max(code, failed(message.error(), "outbox retry", err));
      continue;
    }
    std::string status;
    if (message->state == "dead") {
      err << "outbox retry: " << id
          << " is dead: its link and code were erased when it was given up; the user asks for "
             "a new link\n";
      status = "dead";
      code = std::max(code, kExitFailed);
    } else if (message->state != "pending") {
      status = message->state;  // sending, or done: nothing to retry
      err << "outbox retry: " << id << " is " << message->state << ", not waiting\n";
    } else {
      auto retried = c.admin.retry_now(id, c.now);
      if (!retried.ok()) return failed(retried.error(), "outbox retry", err);
      status = retried.value() ? "due now" : "already due";
    }
    outcomes.add(id, status);
  }
  return code;
}

int purge(const Arguments& a, OutboxContext& c, std::ostream& out, std::ostream& err) {
  const bool json = a.has("json");
  if (a.has("finished") == (a.words.size() > 1) || (a.option("older-than") && !a.has("finished"))) {
    err << "usage: linkgate outbox purge ID… | --finished [--older-than DURATION]\n";
    return kExitUsage;
  }
  if (a.has("finished")) {
    std::int64_t older = 0;
    if (auto text = a.option("older-than")) {
      auto d = config::parse_duration(*text);
      if (!d) {
        err << "--older-than: expected a duration like 90s, 15m or 1d, got " << *text << "\n";
        return kExitUsage;
      }
      older = d->count() / 1000;
    }
    std::map<std::string, std::int64_t> total;
    for (;;) {
      auto purged = c.store.purge(c.now - older + 1, 5000);
      if (!purged.ok()) return failed(purged.error(), "outbox purge", err);
      std::int64_t round = 0;
      for (const auto& [state, n] : purged.value()) {
        total[state] += n;
        round += n;
      }
      if (round == 0) break;
    }
    if (json) {
      Poco::JSON::Object o;
      for (const auto& [state, n] : total) o.set(state, n);
      o.stringify(out);
      out << "\n";
    } else {
      out << "purged sent " << total["sent"] << ", dead " << total["dead"] << ", suppressed "
          << total["suppressed"] << "\n";
    }
    return kExitOk;
  }
  int code = kExitOk;
  IdOutcomes outcomes(json, out);
  for (std::size_t i = 1; i < a.words.size(); ++i) {
    const std::string& id = a.words[i];
    auto removed = c.admin.remove(id);
    if (!removed.ok()) {
      code = std::max(code, failed(removed.error(), "outbox purge", err));
      continue;
    }
    // Said, not hidden: the link is off the disk only once the server's next checkpoint runs.
    outcomes.add(id, removed.value() ? "purged"
                                     : "purged; its old page stays in SQLite's log "
                                       "until the server's next checkpoint");
  }
  return code;
}

}  // namespace

int run_outbox(const Arguments& a, OutboxContext& c, std::ostream& out, std::ostream& err) {
  const std::string verb = a.words.empty() ? "" : a.words[0];
  if (verb == "list") return list(a, c, out, err);
  if (verb == "retry") return retry(a, c, out, err);
  if (verb == "purge") return purge(a, c, out, err);
  outbox_help(err);
  return kExitUsage;
}

}  // namespace linkgate::cli
