// The operator's commands (`linkgate users|outbox|reload`) against a running server, as an
// operator runs them: the real binary, the server's own configuration file, its data.

#include <Poco/Data/Session.h>
#include <Poco/JSON/Array.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "sql/database.h"
#include "support/child_process.h"
#include "support/http_client.h"
#include "support/json_fields.h"
#include "support/server_process.h"
#include "support/test_config.h"

namespace linkgate::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct Ran {
  int code = -1;
  std::string out;  // stdout and stderr together
};

/// Runs linkgate with @p args and --config @p config, @p input on its standard input.
Ran linkgate(std::vector<std::string> args, const std::string& config,
             const std::string& input = "") {
  args.push_back("--config");
  args.push_back(config);
  Poco::Pipe out, to;
  // From the file system's root: the commands must not depend on the working directory.
  auto handle = Poco::Process::launch(LINKGATE_BINARY, args, "/", &to, &out, &out);
  {
    Poco::PipeOutputStream stdin_of(to);
    stdin_of << input;
  }
  to.close(Poco::Pipe::CLOSE_WRITE);  // the end of the input
  Poco::PipeInputStream in(out);
  Ran ran;
  Poco::StreamCopier::copyToString(in, ran.out);
  ran.code = handle.wait();
  return ran;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

/// The links the development channel wrote so far, oldest first.
std::vector<std::string> links_in(const fs::path& outbox) {
  std::vector<std::pair<fs::file_time_type, std::string>> found;
  if (!fs::exists(outbox)) return {};
  for (const auto& f : fs::directory_iterator(outbox)) {
    if (f.path().extension() != ".json") continue;
    found.emplace_back(f.last_write_time(),
                       json(read_file(f.path()))->getValue<std::string>("link"));
  }
  std::sort(found.begin(), found.end());
  std::vector<std::string> links;
  for (auto& [time, link] : found) links.push_back(link);
  return links;
}

std::string token_of(const std::string& link) {
  return link.substr(link.find("token=") + 6);
}

TestConfig serving_config() {
  TestConfig config;
  config.log_level = "info";
  config.signup = "false";
  config.server_extra = "  pid_file: @DIR@/linkgate.pid\n";
  return config;
}

TEST(OperatorCli, EveryCommandExplainsItselfAndItsExitCodes) {
  TempDir dir;
  const std::string file = TestConfig{}.write(dir);
  for (const std::string command : {"users", "outbox", "reload"}) {
    auto help = linkgate({command, "--help"}, file);
    EXPECT_EQ(help.code, 0) << command << ": " << help.out;
    EXPECT_NE(help.out.find("usage: linkgate " + command), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("exit: 0"), std::string::npos) << help.out;
    auto wrong = linkgate({command, "--no-such-option"}, file);
    EXPECT_EQ(wrong.code, 2) << command << ": " << wrong.out;
    EXPECT_NE(wrong.out.find("unknown option --no-such-option"), std::string::npos) << wrong.out;
  }
  EXPECT_EQ(linkgate({"users", "frobnicate"}, file).code, 2);
  EXPECT_EQ(linkgate({"outbox", "list", "--state", "lost"}, file).code, 2);
  auto bad_config = linkgate({"users", "list"}, dir.file("missing.yaml"));
  EXPECT_EQ(bad_config.code, 78) << bad_config.out;
  EXPECT_NE(bad_config.out.find("cannot read the file"), std::string::npos) << bad_config.out;
}

// Disabling takes effect on the running server at once: new sign-ins are answered like a
// stranger's (and sent nothing), and the link already sent is refused — until enabled again.
TEST(OperatorCli, UsersOfTheSqlStoreAreManagedWhileTheServerRuns) {
  TempDir dir;
  const std::string file = serving_config().write(dir);
  ServerProcess server(LINKGATE_BINARY, file);
  ASSERT_FALSE(server.port().empty()) << server.output();
  HttpClient client("http://127.0.0.1:" + server.port());

  auto added = linkgate({"users", "add", "Alice@Example.com"}, file);
  ASSERT_EQ(added.code, 0) << added.out;
  EXPECT_TRUE(std::regex_search(added.out, std::regex("^added usr_\\S+ alice@example\\.com\\n$")))
      << added.out;
  EXPECT_NE(linkgate({"users", "add", "alice@example.com"}, file).out.find("exists"),
            std::string::npos);
  auto phone = linkgate({"users", "add", "+1 (555) 123-4567", "--json"}, file);
  ASSERT_EQ(phone.code, 0) << phone.out;
  EXPECT_EQ(json(phone.out)->getValue<std::string>("phone"), "+15551234567");
  EXPECT_EQ(json(phone.out)->getValue<std::string>("status"), "added");
  auto malformed = linkgate({"users", "add", "alice@@example.com\r\nBcc: x@y.z"}, file);
  EXPECT_EQ(malformed.code, 2) << malformed.out;

  ASSERT_EQ(client.post_json("/v1/magic-links", start_body("alice@example.com")).status, 202);
  for (int i = 0; i < 100 && links_in(dir.path() / "outbox").empty(); ++i)
    std::this_thread::sleep_for(20ms);
  const auto first = links_in(dir.path() / "outbox");
  ASSERT_EQ(first.size(), 1u);

  auto disabled = linkgate({"users", "disable", "alice@example.com"}, file);
  ASSERT_EQ(disabled.code, 0) << disabled.out;
  const std::string first_token = "{\"token\":\"" + token_of(first.front()) + "\"}";
  auto refused = client.post_json("/v1/magic-links/verify", first_token);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(field(refused.body, "error"), "invalid_token");

  auto listed = linkgate({"users", "list", "--json"}, file);
  ASSERT_EQ(listed.code, 0) << listed.out;
  auto users = json(listed.out)->getArray("users");
  ASSERT_EQ(users->size(), 2u) << listed.out;
  std::string alice_id;
  for (std::size_t i = 0; i < users->size(); ++i) {
    auto u = users->getObject(static_cast<unsigned>(i));
    if (u->getValue<std::string>("email") == "alice@example.com") {
      EXPECT_TRUE(u->getValue<bool>("disabled"));
      alice_id = u->getValue<std::string>("id");
    }
  }
  ASSERT_FALSE(alice_id.empty()) << listed.out;
  // One page at a time: --limit says where the next starts, --after starts there.
  auto page = json(linkgate({"users", "list", "--json", "--limit", "1"}, file).out);
  ASSERT_EQ(page->getArray("users")->size(), 1u);
  const std::string after = page->getValue<std::string>("next_after");
  ASSERT_FALSE(after.empty());
  auto rest = json(linkgate({"users", "list", "--json", "--after", after}, file).out);
  ASSERT_EQ(rest->getArray("users")->size(), 1u);
  EXPECT_NE(rest->getArray("users")->getObject(0)->getValue<std::string>("id"), after);
  EXPECT_EQ(rest->getValue<std::string>("next_after"), "");
  auto text = linkgate({"users", "list"}, file);
  EXPECT_TRUE(
      std::regex_search(text.out, std::regex(alice_id + " +alice@example\\.com +- +- +disabled")))
      << text.out;

  ASSERT_EQ(linkgate({"users", "enable", alice_id}, file).code, 0);
  EXPECT_EQ(client.post_json("/v1/magic-links/verify", first_token).status, 200)
      << "enabled again, the link refused before still works";

  ASSERT_EQ(linkgate({"users", "disable", alice_id}, file).code, 0);
  auto again = client.post_json("/v1/magic-links", start_body("alice@example.com"));
  EXPECT_EQ(again.status, 202) << "answered like a stranger";
  auto messages = linkgate({"outbox", "list", "--state", "all", "--json"}, file);
  for (int i = 0; i < 100 && messages.out.find("suppressed") == std::string::npos; ++i) {
    std::this_thread::sleep_for(20ms);
    messages = linkgate({"outbox", "list", "--state", "all", "--json"}, file);
  }
  EXPECT_NE(messages.out.find("\"state\":\"suppressed\""), std::string::npos) << messages.out;
  EXPECT_EQ(links_in(dir.path() / "outbox").size(), 1u) << "nothing sent to a disabled user";

  auto deleted = linkgate({"users", "delete", "alice@example.com"}, file);
  EXPECT_EQ(deleted.code, 0) << deleted.out;
  auto gone = linkgate({"users", "delete", "alice@example.com"}, file);
  EXPECT_EQ(gone.code, 3) << gone.out;
  EXPECT_NE(gone.out.find("no user with the address alice@example.com"), std::string::npos);
  EXPECT_EQ(linkgate({"users", "disable", "usr_nobody"}, file).code, 3);
  EXPECT_EQ(json(linkgate({"users", "list", "--json"}, file).out)->getArray("users")->size(), 1u);

  const std::string audit = read_file(dir.path() / "audit.log");
  for (const char* event : {"user_added", "user_disabled", "user_enabled", "user_deleted"}) {
    EXPECT_NE(audit.find("\"event\":\"" + std::string(event) + "\""), std::string::npos)
        << event << " not in\n"
        << audit;
  }
  EXPECT_EQ(server.terminate(), 0);
}

// Taking over an existing user base: a file of addresses becomes users while the server runs,
// whose next sign-in is a returning user's. Lines that are no address are named, the rest go in;
// a second import of the same file adds nothing.
TEST(OperatorCli, AnImportedListOfAddressesBecomesUsers) {
  TempDir dir;
  const std::string file = serving_config().write(dir);
  ServerProcess server(LINKGATE_BINARY, file);
  ASSERT_FALSE(server.port().empty()) << server.output();
  std::string list = "# users exported from the old system\n";
  for (int i = 0; i < 300; ++i) list += "user" + std::to_string(i) + "@Example.com\r\n";
  list += "not an address\n+1 (555) 123-4567\n";
  std::ofstream(dir.file("users.txt"), std::ios::binary) << list;

  auto imported = linkgate({"users", "import", dir.file("users.txt")}, file);
  EXPECT_EQ(imported.code, 1) << imported.out;  // one line refused
  EXPECT_NE(imported.out.find("users.txt:302: "), std::string::npos) << imported.out;
  EXPECT_NE(imported.out.find("301 added, 0 existing, 1 refused"), std::string::npos)
      << imported.out;
  auto listed = json(linkgate({"users", "list", "--json"}, file).out);
  EXPECT_EQ(listed->getArray("users")->size(), 301u);
  const std::string audit = read_file(dir.path() / "audit.log");
  std::size_t added_events = 0;
  for (auto at = audit.find("\"user_added\""); at != std::string::npos;
       at = audit.find("\"user_added\"", at + 1))
    ++added_events;
  EXPECT_EQ(added_events, 301u);

  auto again = linkgate({"users", "import", "-", "--json"}, file,
                        "user7@example.com\nuser300@example.com\n");
  ASSERT_EQ(again.code, 0) << again.out;
  auto report = json(again.out);
  EXPECT_EQ(report->getValue<int>("added"), 1);
  EXPECT_EQ(report->getValue<int>("existing"), 1);
  EXPECT_EQ(report->getValue<int>("refused"), 0);

  EXPECT_EQ(linkgate({"users", "import"}, file).code, 2);
  EXPECT_EQ(linkgate({"users", "import", dir.file("missing.txt")}, file).code, 1);
  EXPECT_EQ(server.terminate(), 0);
}

TEST(OperatorCli, TheYamlStoreIsListedButReadOnly) {
  TempDir dir;
  std::ofstream(dir.file("users.yaml"))
      << "- { id: ada, email: ada@example.com }\n"
         "- { id: bob, phone: \"+15551234567\", disabled: true }\n";
  TestConfig config;
  config.users_plugin = "yaml";
  config.signup = "false";
  config.users_config = "{ file: " + dir.file("users.yaml") + " }";
  const std::string file = config.write(dir);
  auto listed = linkgate({"users", "list"}, file);
  ASSERT_EQ(listed.code, 0) << listed.out;
  EXPECT_TRUE(std::regex_search(listed.out, std::regex("ada +ada@example\\.com +- +- +active")))
      << listed.out;
  EXPECT_TRUE(std::regex_search(listed.out, std::regex("bob +- +\\+15551234567 +- +disabled")))
      << listed.out;
  const std::vector<std::vector<std::string>> changes{
      {"users", "disable", "ada"}, {"users", "delete", "ada"}, {"users", "add", "new@example.com"}};
  for (const auto& change : changes) {
    auto refused = linkgate(change, file);
    EXPECT_EQ(refused.code, 1) << refused.out;
    EXPECT_NE(refused.out.find(change[1] == "add" ? "fixed" : "read-only"), std::string::npos)
        << refused.out;
  }
  auto imported = linkgate({"users", "import", "-"}, file, "ada@example.com\nnew@example.com\n");
  EXPECT_EQ(imported.code, 1) << imported.out;
  EXPECT_NE(imported.out.find("stdin:2: the store failed, import stopped here"), std::string::npos)
      << imported.out;
  EXPECT_NE(imported.out.find("0 added, 1 existing"), std::string::npos) << imported.out;
  EXPECT_EQ(read_file(dir.file("users.yaml")).find("new@"), std::string::npos);
}

/// The body columns of every message, straight from the database.
std::vector<std::pair<std::string, std::string>> links_and_codes(const std::string& db_file) {
  auto db = sql::Database::open("sqlite:" + db_file);
  auto lease = db->session();
  std::vector<std::string> links, codes;
  *lease << "SELECT link, code FROM lg_outbox WHERE link <> ''", Poco::Data::Keywords::into(links),
      Poco::Data::Keywords::into(codes), Poco::Data::Keywords::now;
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t i = 0; i < links.size(); ++i) out.emplace_back(links[i], codes[i]);
  return out;
}

// A relay that is down: the messages wait for their retry. The operator sees where each stands
// — never its link, its code or the whole address — sends them now, or deletes one, and what
// was deleted leaves the database's files.
TEST(OperatorCli, TheOutboxShowsWhereMessagesStandButNeverALinkOrACode) {
  TempDir dir;
  TestConfig config = serving_config();
  config.delivery = "  - plugin: smtp\n    for: email\n    config: { host: 127.0.0.1, port: " +
                    std::to_string(free_port()) +
                    ", tls: none, from: \"Acme <no-reply@acme.example>\", timeout: 2s }\n";
  config.outbox_retry = "{ attempts: 8, backoff: 1h..1h }";
  config.signup = "true";
  const std::string file = config.write(dir);
  ServerProcess server(LINKGATE_BINARY, file);
  ASSERT_FALSE(server.port().empty()) << server.output();
  HttpClient client("http://127.0.0.1:" + server.port());
  for (const char* who : {"first.person@example.com", "second.person@example.com"})
    ASSERT_EQ(client.post_json("/v1/magic-links", start_body(who)).status, 202);

  Ran listed;
  for (int i = 0; i < 200; ++i) {
    listed = linkgate({"outbox", "list", "--json"}, file);
    auto messages = json(listed.out)->getArray("messages");
    if (messages->size() == 2 && messages->getObject(0)->getValue<int>("attempts") == 1 &&
        messages->getObject(1)->getValue<int>("attempts") == 1 &&
        !messages->getObject(0)->getValue<std::string>("last_error").empty() &&
        !messages->getObject(1)->getValue<std::string>("last_error").empty())
      break;
    std::this_thread::sleep_for(25ms);
  }
  auto messages = json(listed.out)->getArray("messages");
  ASSERT_EQ(messages->size(), 2u) << listed.out;
  EXPECT_EQ(json(listed.out)->getObject("counts")->getValue<int>("pending"), 2) << listed.out;
  // Both were stored in the same second, so "oldest first" may list either first.
  const unsigned at = messages->getObject(0)->getValue<std::string>("recipient")[0] == 'f' ? 0 : 1;
  auto first = messages->getObject(at);
  EXPECT_EQ(first->getValue<std::string>("state"), "pending");
  EXPECT_EQ(first->getValue<std::string>("channel"), "smtp (email)");
  EXPECT_EQ(first->getValue<std::string>("recipient"), "f***@example.com");
  // The back-off of 1h has jitter: at least half of it is left.
  EXPECT_GT(first->getValue<std::int64_t>("next_attempt_at"), std::time(nullptr) + 1200);
  EXPECT_FALSE(first->getValue<std::string>("last_error").empty()) << listed.out;
  const std::string first_id = first->getValue<std::string>("id");
  const std::string second_id = messages->getObject(1 - at)->getValue<std::string>("id");

  auto text = linkgate({"outbox", "list"}, file);
  EXPECT_NE(text.out.find("pending 2, sending 0"), std::string::npos) << text.out;
  EXPECT_TRUE(std::regex_search(
      text.out,
      std::regex(
          first_id +
          " +pending +smtp \\(email\\) +f\\*\\*\\*@example\\.com +1 +\\S+ +in \\d+m +smtp: ")))
      << text.out;

  const auto secrets = links_and_codes(dir.file("outbox.db"));
  ASSERT_EQ(secrets.size(), 2u);
  for (const auto& [link, code] : secrets) {
    for (const auto& output : {listed.out, text.out}) {
      EXPECT_EQ(output.find(token_of(link)), std::string::npos) << "a link token in\n" << output;
      EXPECT_EQ(output.find(code), std::string::npos) << "code " << code << " in\n" << output;
      EXPECT_EQ(output.find("person@"), std::string::npos) << "a whole address in\n" << output;
    }
  }

  auto retried = linkgate({"outbox", "retry", first_id}, file);
  EXPECT_EQ(retried.code, 0) << retried.out;
  EXPECT_NE(retried.out.find(first_id + ": due now"), std::string::npos) << retried.out;
  // The server's worker takes it up (and fails again: the relay is still down).
  auto attempts_of_first = [&] {
    auto now = json(linkgate({"outbox", "list", "--json"}, file).out)->getArray("messages");
    for (unsigned i = 0; i < now->size(); ++i) {
      if (now->getObject(i)->getValue<std::string>("id") == first_id)
        return now->getObject(i)->getValue<int>("attempts");
    }
    return -1;
  };
  for (int i = 0; i < 200 && attempts_of_first() != 2; ++i) std::this_thread::sleep_for(25ms);
  EXPECT_EQ(attempts_of_first(), 2) << "retried by the server";
  EXPECT_EQ(linkgate({"outbox", "retry", "no-such-message"}, file).code, 3);
  auto all = linkgate({"outbox", "retry", "--all", "--json"}, file);
  EXPECT_EQ(all.code, 0) << all.out;
  EXPECT_GE(json(all.out)->getValue<int>("retried"), 1) << all.out;

  std::string second_link;
  {
    auto db = sql::Database::open("sqlite:" + dir.file("outbox.db"));
    auto lease = db->session();
    std::string id = second_id;
    *lease << "SELECT link FROM lg_outbox WHERE id = ?", Poco::Data::Keywords::useRef(id),
        Poco::Data::Keywords::into(second_link), Poco::Data::Keywords::now;
  }
  const std::string second_token = token_of(second_link);
  ASSERT_GT(second_token.size(), 20u);
  auto in_a_database_file = [&] {
    for (const auto& f : fs::directory_iterator(dir.path())) {
      if (f.path().filename().string().rfind("outbox.db", 0) == 0 &&
          read_file(f.path()).find(second_token) != std::string::npos)
        return true;
    }
    return false;
  };
  ASSERT_TRUE(in_a_database_file()) << "the scan must see the link first";
  // `retry --all` made it due: the server's worker may be sending it (to the relay that is
  // down) just then, and the purge says so and leaves it — an operator tries again, as here.
  auto purged = linkgate({"outbox", "purge", second_id}, file);
  for (int i = 0; i < 200 && purged.out.find("being sent right now") != std::string::npos; ++i) {
    std::this_thread::sleep_for(25ms);
    purged = linkgate({"outbox", "purge", second_id}, file);
  }
  EXPECT_EQ(purged.code, 0) << purged.out;
  EXPECT_EQ(linkgate({"outbox", "purge", second_id}, file).code, 3);
  EXPECT_FALSE(in_a_database_file()) << "the purged message's link is still in a database file";
  auto finished = linkgate({"outbox", "purge", "--finished", "--older-than", "1h"}, file);
  EXPECT_EQ(finished.code, 0) << finished.out;
  EXPECT_NE(finished.out.find("purged sent 0, dead 0, suppressed 0"), std::string::npos)
      << finished.out;
  EXPECT_EQ(server.terminate(), 0);
}

TEST(OperatorCli, ReloadChecksTheFileFirstThenSignalsTheServerInItsPidFile) {
  TempDir dir;
  TestConfig config = serving_config();
  const std::string file = config.write(dir);
  ServerProcess server(LINKGATE_BINARY, file);
  ASSERT_FALSE(server.port().empty()) << server.output();
  const fs::path pid_file = dir.path() / "linkgate.pid";
  ASSERT_TRUE(fs::exists(pid_file));
  EXPECT_EQ(fs::status(pid_file).permissions() & fs::perms::others_read, fs::perms::others_read);

  auto reloaded = linkgate({"reload"}, file);
  EXPECT_EQ(reloaded.code, 0) << reloaded.out;
  EXPECT_NE(reloaded.out.find(": OK"), std::string::npos) << reloaded.out;
  EXPECT_TRUE(server.await_output("configuration reloaded", 10s)) << server.all_output();

  std::ofstream(file, std::ios::app) << "no_such_key: true\n";
  auto refused = linkgate({"reload"}, file);
  EXPECT_EQ(refused.code, 78) << refused.out;
  EXPECT_NE(refused.out.find("no_such_key: unknown key"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("not reloading"), std::string::npos) << refused.out;
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(server.all_output().find("reload refused"), std::string::npos)
      << "a file that fails the check never reaches the server";

  config.server_extra = "";
  config.write(dir);
  std::ofstream(dir.file("stale.pid")) << ::getpid() << "\n";  // a test binary, not linkgate
  auto stale = linkgate({"reload", "--pid-file", dir.file("stale.pid")}, file);
  EXPECT_EQ(stale.code, 1) << stale.out;
  EXPECT_NE(stale.out.find("not a running linkgate"), std::string::npos) << stale.out;
  auto missing = linkgate({"reload", "--pid-file", dir.file("none.pid")}, file);
  EXPECT_EQ(missing.code, 1) << missing.out;

  EXPECT_EQ(server.terminate(), 0);
  EXPECT_FALSE(fs::exists(pid_file)) << "removed at exit";
}

// `sudo linkgate users add …` must not leave root-owned files the server then cannot open.
TEST(OperatorCli, RunAsRootItActsAsTheOwnerOfTheDataFolder) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to change users";
  TempDir dir;
  fs::permissions(dir.path(),
                  fs::perms::owner_all | fs::perms::group_exec | fs::perms::others_exec);
  const fs::path data = dir.path() / "data";
  fs::create_directories(data);
  ASSERT_EQ(::chown(data.c_str(), 65534, 65534), 0);
  TestConfig config;
  config.keys_dir = "keys";
  config.users_config = "{ database: users.db }";
  config.outbox_store = "sqlite:outbox.db";
  config.outbox_dir = "outbox";
  config.audit_file = "audit.log";
  config.extra = "data_dir: data\n";
  const std::string file = config.write(dir);
  ::chmod(file.c_str(), 0644);
  auto added = linkgate({"users", "add", "root.ran.this@example.com"}, file);
  ASSERT_EQ(added.code, 0) << added.out;
  for (const char* made : {"users.db", "outbox.db", "keys", "audit.log"}) {
    struct stat st {};
    ASSERT_EQ(::stat((data / made).c_str(), &st), 0) << made << " not made in data_dir";
    EXPECT_EQ(st.st_uid, 65534u) << made << " belongs to " << st.st_uid;
  }
}

}  // namespace
}  // namespace linkgate::testing
