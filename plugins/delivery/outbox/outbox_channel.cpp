#include "outbox_channel.h"

#include <Poco/JSON/Object.h>

#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "util/files.h"

namespace linkgate::plugins::outbox {
namespace {

bool safe_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

std::string message_json(const sdk::Message& m) {
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("id", m.id);
  o.set("channel", std::string(sdk::to_string(m.kind)));
  o.set("to", m.to);
  o.set("subject", m.subject);
  o.set("link", m.link);
  o.set("code", m.code);
  o.set("locale", m.locale);
  o.set("text", m.text);
  o.set("html", m.html);
  std::ostringstream out;
  o.stringify(out, 2);
  return out.str() + "\n";
}

OutboxChannel::OutboxChannel(std::string dir, bool log_link, sdk::HostServices& host)
    : dir_(std::move(dir)), log_link_(log_link), host_(host) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("cannot create " + dir_ + ": " + ec.message());
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
}

std::string OutboxChannel::file_for(const std::string& id) const {
  return (std::filesystem::path(dir_) / (id + ".json")).string();
}

sdk::Result<void> OutboxChannel::send(const sdk::Message& message) {
  if (!safe_id(message.id))
    return sdk::fail(sdk::ErrorCode::invalid, "message id is not file-safe");
  if (message.to.find_first_of("\r\n") != std::string::npos ||
      message.subject.find_first_of("\r\n") != std::string::npos) {
    return sdk::fail(sdk::ErrorCode::invalid, "CR or LF in the recipient or subject");
  }
  const std::string file = file_for(message.id);
  if (auto error = util::write_file_atomically(file, message_json(message)); !error.empty()) {
    return sdk::fail(sdk::ErrorCode::retryable, error);
  }
  if (log_link_) {
    host_.logger().info("development outbox: sign-in link for " + message.to + ": " + message.link +
                        " (code in " + file + ")");
  }
  host_.metrics().increment("outbox_files_written", {});
  return sdk::success();
}

sdk::Result<void> OutboxChannel::ready() {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) {
    return sdk::fail(sdk::ErrorCode::unavailable, dir_ + " is not a folder");
  }
  return sdk::success();
}

}  // namespace linkgate::plugins::outbox
