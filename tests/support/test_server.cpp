#include "support/test_server.h"

#include "support/child_process.h"

#include <Poco/JSON/Parser.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Pipe.h>
#include <Poco/PipeStream.h>
#include <Poco/Process.h>
#include <Poco/StreamCopier.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <tuple>

namespace linkgate::testing {
namespace {

std::vector<TestServer::Delivered> read_messages(const std::filesystem::path& dir,
                                                 const std::string& recipient) {
  std::vector<std::pair<std::filesystem::file_time_type, TestServer::Delivered>> found;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (it->path().extension() != ".json") continue;
    std::ifstream in(it->path());
    std::stringstream text;
    text << in.rdbuf();
    try {
      auto o = Poco::JSON::Parser().parse(text.str()).extract<Poco::JSON::Object::Ptr>();
      TestServer::Delivered d;
      d.to = o->getValue<std::string>("to");
      if (d.to != recipient) continue;
      d.link = o->getValue<std::string>("link");
      d.code = o->getValue<std::string>("code");
      d.subject = o->getValue<std::string>("subject");
      d.text = o->getValue<std::string>("text");
      d.html = o->getValue<std::string>("html");
      d.locale = o->getValue<std::string>("locale");
      d.id = o->getValue<std::string>("id");
      if (auto at = d.link.find("token="); at != std::string::npos) d.token = d.link.substr(at + 6);
      found.emplace_back(std::filesystem::last_write_time(it->path(), ec), d);
    } catch (const Poco::Exception&) {
      // A file being written is renamed into place whole; anything else is not ours.
    }
  }
  // Ties of the file time (a clock tick) go by the message id, which begins with the
  // millisecond its start was made in.
  std::sort(found.begin(), found.end(), [](auto& a, auto& b) {
    return std::tie(a.first, a.second.id) < std::tie(b.first, b.second.id);
  });
  std::vector<TestServer::Delivered> out;
  for (auto& f : found) out.push_back(f.second);
  return out;
}

}  // namespace

TestServer::TestServer(const TestConfig& config, std::shared_ptr<const sdk::Clock> clock)
    : outbox_dir_(config.outbox_dir.empty() ? (dir_.path() / "outbox").string()
                                            : config.outbox_dir) {
  config::Diagnostics diagnostics;
  auto settings = config::load_settings_text(config.yaml(dir_), "test.yaml", diagnostics);
  if (!settings) throw std::runtime_error("test config: " + diagnostics.to_string());
  settings_ = std::make_unique<config::Settings>(*settings);
  clock_ = std::move(clock);
  restart();
}

void TestServer::restart() {
  if (server_) server_->stop();
  server_.reset();
  // Nothing carried over but the data folder: what a new process would find.
  auto shared = wiring::SharedState::create(*settings_, clock_);
  server_ = std::make_unique<server::Server>(*settings_, shared);
  server_->start();
}

TestServer::~TestServer() {
  if (server_) server_->stop();
}

std::int64_t TestServer::wait_for_outbox(const std::string& state, std::int64_t count) {
  std::int64_t seen = 0;
  for (int i = 0; i < 500; ++i) {
    seen = runtime().outbox().counts().value()[state];
    if (seen >= count) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return seen;
}

std::size_t TestServer::messages_for(const std::string& recipient) const {
  return read_messages(outbox_dir_, recipient).size();
}

TestServer::Delivered TestServer::wait_for_message(const std::string& recipient,
                                                   std::size_t already_seen) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    auto messages = read_messages(outbox_dir_, recipient);
    if (messages.size() > already_seen) {
      std::lock_guard lock(returned_mutex_);  // tests may wait from several threads
      auto newest = messages.rbegin();
      if (already_seen > 0) {
        newest = std::find_if(messages.rbegin(), messages.rend(),
                              [&](const Delivered& m) { return !returned_ids_.contains(m.id); });
        if (newest == messages.rend()) newest = messages.rbegin();
      }
      returned_ids_.insert(newest->id);
      return *newest;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("no message for " + recipient + " within 10 s");
}

std::uint16_t free_port() {
  Poco::Net::ServerSocket socket(Poco::Net::SocketAddress("127.0.0.1", 0));
  return socket.address().port();
}

std::pair<int, std::string> run_python(const std::string& script,
                                       const std::vector<std::string>& args) {
  std::vector<std::string> all{script};
  all.insert(all.end(), args.begin(), args.end());
  Poco::Pipe out;
  auto handle = Poco::Process::launch("/usr/bin/python3", all, nullptr, &out, &out);
  Poco::PipeInputStream in(out);
  std::string text;
  Poco::StreamCopier::copyToString(in, text);
  return {handle.wait(), text};
}

}  // namespace linkgate::testing
