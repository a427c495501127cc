#include "outbox_channel.h"

#include <filesystem>
#include <stdexcept>

#include "util/files.h"
#include "util/json_escape.h"

namespace linkgate::plugins::outbox {
namespace {

std::string json_string(const std::string& text) {
  return "\"" + util::json_escape(text) + "\"";
}

bool safe_id(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

}  // namespace

std::string message_json(const sdk::Message& m) {
  return "{\n  \"id\": " + json_string(m.id) +
         ",\n  \"channel\": " + json_string(sdk::to_string(m.kind)) +
         ",\n  \"to\": " + json_string(m.to) + ",\n  \"subject\": " + json_string(m.subject) +
         ",\n  \"link\": " + json_string(m.link) + ",\n  \"code\": " + json_string(m.code) +
         ",\n  \"locale\": " + json_string(m.locale) + ",\n  \"text\": " + json_string(m.text) +
         ",\n  \"html\": " + json_string(m.html) + "\n}\n";
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
