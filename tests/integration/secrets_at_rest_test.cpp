// After delivery, no file of the data folder holds the link, its token or the code, in any
// encoding: the issue found them in outbox.db-wal long after the body was "erased". Each token
// strategy with each outbox store; the scan is first shown to find the secrets while the
// message waits. While it waits, no file holds the rendered message: a start stores the link and
// the code, and the worker renders the message in memory each time it tries to send it.

#include <Poco/Base64Encoder.h>
#include <Poco/Data/Session.h>
#include <Poco/URI.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "sql/database.h"
#include "support/postgres_server.h"
#include "support/test_server.h"
#include "util/crypto.h"

namespace linkgate::testing {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string base64(const std::string& bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out, Poco::BASE64_NO_PADDING);
  encoder.rdbuf()->setLineLength(0);
  encoder << bytes;
  encoder.close();
  return out.str();
}

std::string utf16le(const std::string& ascii) {
  std::string out;
  for (char c : ascii) {
    out.push_back(c);
    out.push_back('\0');
  }
  return out;
}

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (auto at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

/// Every way @p secret could be written down: raw, percent-, JSON- and HTML-escaped, hex,
/// UTF-16, and base64 at each of the three alignments a secret inside longer data can have.
std::vector<std::pair<std::string, std::string>> encodings(const std::string& secret) {
  std::vector<std::pair<std::string, std::string>> out{{"raw", secret},
                                                       {"json", replace_all(secret, "/", "\\/")},
                                                       {"html", replace_all(secret, "&", "&amp;")},
                                                       {"hex", util::to_hex(secret)},
                                                       {"HEX", upper(util::to_hex(secret))},
                                                       {"utf-16", utf16le(secret)}};
  std::string percent;
  Poco::URI::encode(secret, ":/?&=#", percent);
  out.emplace_back("percent", percent);
  for (int shift = 0; shift < 3; ++shift) {
    // With `shift` bytes before it, the secret's own bytes start at a fresh 4-character group
    // after ceil(shift*4/3) characters; the last group may mix with what follows.
    std::string encoded = base64(std::string(static_cast<std::size_t>(shift), 'x') + secret);
    const std::size_t skip = shift == 0 ? 0 : 4;
    if (encoded.size() > skip + 8) {
      out.emplace_back("base64+" + std::to_string(shift),
                       encoded.substr(skip, encoded.size() - skip - 4));
    }
  }
  return out;
}

/// Where (file, secret, encoding) the secrets appear under @p dir. A code counts only as a whole
/// digit run, so a longer number that contains it is not a finding.
std::vector<std::string> findings(const fs::path& dir,
                                  const std::vector<std::pair<std::string, std::string>>& secrets) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string bytes = read_all(entry.path());
    for (const auto& [name, secret] : secrets) {
      for (const auto& [how, needle] : encodings(secret)) {
        for (auto at = bytes.find(needle); at != std::string::npos;
             at = bytes.find(needle, at + 1)) {
          const bool digits = name == "code" && (how == "raw" || how == "json");
          auto is_digit = [&](std::size_t i) {
            return std::isdigit(static_cast<unsigned char>(bytes[i]));
          };
          if (digits && ((at > 0 && is_digit(at - 1)) ||
                         (at + needle.size() < bytes.size() && is_digit(at + needle.size())))) {
            continue;
          }
          found.push_back(fs::relative(entry.path(), dir).string() + ": " + name + " (" + how +
                          ")");
          break;
        }
      }
    }
  }
  return found;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

struct Case {
  std::string token;   // jwt | stateful
  std::string outbox;  // sqlite | postgresql
};

class SecretsAtRest : public ::testing::TestWithParam<Case> {};

TEST_P(SecretsAtRest, NoFileOfTheDataFolderHoldsTheLinkTokenOrCodeAfterDelivery) {
  TempDir mailbox;  // the channel's destination: outside the data folder, like a mail server
  const fs::path inbox = mailbox.path() / "in";
  TestConfig config;
  config.outbox_dir = inbox.string();
  config.outbox_retry = "{ attempts: 8, backoff: 1s..1s }";
  if (GetParam().token == "stateful") config.token_config = "{ store: \"sqlite:@DIR@/tokens.db\" }";
  config.token_plugin = GetParam().token;
  const bool sqlite = GetParam().outbox == "sqlite";
  if (!sqlite) config.outbox_store = PostgresServer::shared().fresh_database();
  TestServer server(config);
  const fs::path data = server.dir().path();
  const std::string store =
      sqlite ? "sqlite:" + (data / "outbox.db").string() : config.outbox_store;

  // The channel cannot deliver yet: the message waits in the outbox, body and all.
  fs::rename(inbox, mailbox.path() / "away");
  std::ofstream(inbox) << "not a folder";
  ASSERT_EQ(
      server.client().post_json("/v1/magic-links", R"({"identifier":"atrest@example.com"})").status,
      202);
  std::string link, code;
  for (int i = 0; i < 200 && link.empty(); ++i) {
    auto db = sql::Database::open(store, 1);
    auto lease = db->session();
    std::string state;
    *lease << "SELECT link, code, state FROM lg_outbox WHERE link <> ''",
        Poco::Data::Keywords::into(link), Poco::Data::Keywords::into(code),
        Poco::Data::Keywords::into(state), Poco::Data::Keywords::now;
    if (state != "pending") link.clear();  // not yet tried and refused
    if (link.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_FALSE(link.empty()) << "the message never waited for a retry";
  const std::string token = link.substr(link.find("token=") + 6);
  ASSERT_GT(token.size(), 20u);
  ASSERT_EQ(code.size(), 6u);
  const std::vector<std::pair<std::string, std::string>> secrets{
      {"link", link}, {"token", token}, {"code", code}};
  if (sqlite) {
    // The scan sees what is there: the waiting body is in the SQLite files. A scan reads the
    // files one after another, so a checkpoint moving pages from the -wal into the .db between
    // two reads can hide them from one scan; checkpoints run at most once a second.
    bool seen = false;
    for (int scan = 0; scan < 3 && !seen; ++scan) {
      seen = !findings(data, secrets).empty();
      if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_TRUE(seen) << "the scan finds nothing even now";
  }
  // What waits is the link and the code, not the message: the worker rendered it for the attempt
  // the channel refused, in memory only, and no file holds the words of the rendered e-mail.
  {
    auto db = sql::Database::open(store, 1);
    auto lease = db->session();
    std::int64_t waiting = 0;
    *lease << "SELECT COUNT(*) FROM lg_outbox WHERE link <> ''",
        Poco::Data::Keywords::into(waiting), Poco::Data::Keywords::now;
    ASSERT_EQ(waiting, 1) << "the waiting message is not stored with its link";
    std::string body;
    *lease << "SELECT subject || text || html FROM lg_outbox WHERE link <> ''",
        Poco::Data::Keywords::into(body), Poco::Data::Keywords::now;
    EXPECT_EQ(body, "") << "the message was stored rendered";
  }
  const auto words = findings(data, {{"the e-mail's text", "Or enter this code on the sign-in"},
                                     {"the e-mail's HTML", "Click the button to sign in"}});
  EXPECT_TRUE(words.empty()) << "the rendered message is in the data folder:\n" << joined(words);

  // Delivered.
  fs::remove(inbox);
  fs::rename(mailbox.path() / "away", inbox);
  auto delivered = server.wait_for_message("atrest@example.com");
  ASSERT_EQ(delivered.token, token);
  ASSERT_EQ(server.wait_for_outbox("sent", 1), 1);
  std::this_thread::sleep_for(std::chrono::seconds(10));
  auto left = findings(data, secrets);
  EXPECT_TRUE(left.empty()) << "10 s after delivery the data folder still holds:\n" << joined(left);
  // And the link still signs in once: nothing the flow needs was erased with the body.
  auto in = server.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + token + "\"}");
  EXPECT_EQ(in.status, 200) << in.body;
}

INSTANTIATE_TEST_SUITE_P(TokensAndOutboxes, SecretsAtRest,
                         ::testing::Values(Case{"jwt", "sqlite"}, Case{"stateful", "sqlite"},
                                           Case{"jwt", "postgresql"},
                                           Case{"stateful", "postgresql"}),
                         [](const auto& info) {
                           return info.param.token + "_" + info.param.outbox;
                         });

}  // namespace
}  // namespace linkgate::testing
