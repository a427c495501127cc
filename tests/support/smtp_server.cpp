#include "support/smtp_server.h"

#include <Poco/JSON/Parser.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/test_server.h"

namespace linkgate::testing {
namespace {

std::string tool(const std::string& name) {
  return std::string(LINKGATE_SOURCE_DIR) + "/tests/tools/" + name;
}

std::vector<std::string> arguments(const std::string& maildir, const std::string& cert_dir,
                                   std::vector<std::string> extra, std::uint16_t port) {
  std::vector<std::string> args{tool("smtp_server.py"), "--maildir", maildir,
                                "--cert-dir",           cert_dir,    "--port",
                                std::to_string(port)};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

}  // namespace

SmtpServer::SmtpServer(const TempDir& dir, std::vector<std::string> args, std::uint16_t port)
    : maildir_(dir.file("mail")),
      cert_dir_(dir.file("certs")),
      process_(system_python(), arguments(maildir_, cert_dir_, std::move(args), port)) {}

std::string SmtpServer::eml(int n) const {
  char name[16];
  std::snprintf(name, sizeof name, "%04d.eml", n);
  return maildir_ + "/" + name;
}

std::size_t SmtpServer::count() const {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(maildir_, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    n += it->path().extension() == ".eml";
  }
  return n;
}

Poco::JSON::Object::Ptr SmtpServer::message(int n, int seconds) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (!std::filesystem::exists(eml(n))) {
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("message " + std::to_string(n) + " did not arrive within " +
                               std::to_string(seconds) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto [code, out] = run_python(tool("parse_mail.py"), {eml(n)});
  if (code != 0) throw std::runtime_error("parse_mail.py: " + out);
  return Poco::JSON::Parser().parse(out).extract<Poco::JSON::Object::Ptr>();
}

Poco::JSON::Object::Ptr SmtpServer::envelope(int n) const {
  std::string file = eml(n);
  file.replace(file.size() - 4, 4, ".json");
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return Poco::JSON::Parser().parse(text.str()).extract<Poco::JSON::Object::Ptr>();
}

std::string text_part(const Poco::JSON::Object::Ptr& message) {
  auto parts = message->getArray("parts");
  for (std::size_t i = 0; i < parts->size(); ++i) {
    auto part = parts->getObject(static_cast<unsigned>(i));
    if (part->getValue<std::string>("type") == "text/plain")
      return part->getValue<std::string>("body");
  }
  return "";
}

}  // namespace linkgate::testing
