#include "outbox_channel.h"

#include <filesystem>
#include <initializer_list>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "util/files.h"
#include "util/json_escape.h"

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
  // Written directly (a Poco JSON object and stream cost a tenth of the delivery); any byte that
  // is not UTF-8 becomes U+FFFD, so the file is always JSON a reader can parse.
  const std::initializer_list<std::pair<const char*, std::string_view>> fields = {
      {"id", m.id},         {"channel", sdk::to_string(m.kind)},
      {"to", m.to},         {"subject", m.subject},
      {"link", m.link},     {"code", m.code},
      {"locale", m.locale}, {"text", m.text},
      {"html", m.html}};
  std::size_t size = 8;
  for (const auto& field : fields) size += field.second.size() + 16;
  std::string out;
  out.reserve(size + size / 8);  // room for a few escapes without growing
  out += "{\n";
  bool first = true;
  for (const auto& [key, value] : fields) {
    if (!first) out += ",\n";
    first = false;
    out += "  \"";
    out += key;
    out += "\": \"";
    util::append_json_text(out, value);
    out += '"';
  }
  out += "\n}\n";
  return out;
}

OutboxChannel::OutboxChannel(std::string dir, bool log_link, sdk::HostServices& host)
    : dir_(std::move(dir)), log_link_(log_link), host_(host) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("cannot create " + dir_ + ": " + ec.message());
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  sync_ = std::make_unique<util::FolderSync>(dir_);
}

std::string OutboxChannel::file_for(const std::string& id) const {
  return (std::filesystem::path(dir_) / (id + ".json")).string();
}

sdk::Result<void> OutboxChannel::write(const sdk::Message& message) {
  if (!safe_id(message.id))
    return sdk::fail(sdk::ErrorCode::invalid, "message id is not file-safe");
  if (message.to.find_first_of("\r\n") != std::string::npos ||
      message.subject.find_first_of("\r\n") != std::string::npos) {
    return sdk::fail(sdk::ErrorCode::invalid, "CR or LF in the recipient or subject");
  }
  auto error = util::write_file_for_folder_sync(file_for(message.id), message_json(message));
  if (!error.empty()) return sdk::fail(sdk::ErrorCode::retryable, error);
  return sdk::success();
}

void OutboxChannel::written(const sdk::Message& message) {
  if (log_link_) {
    host_.logger().info("development outbox: sign-in link for " + message.to + ": " + message.link +
                        " (code in " + file_for(message.id) + ")");
  }
  host_.metrics().increment("outbox_files_written", {});
}

sdk::Result<void> OutboxChannel::send(const sdk::Message& message) {
  auto result = write(message);
  if (!result.ok()) return result;
  if (auto error = sync_->wait_durable(); !error.empty()) {
    return sdk::fail(sdk::ErrorCode::retryable, error);
  }
  written(message);
  return sdk::success();
}

std::vector<sdk::Result<void>> OutboxChannel::send_batch(
    const std::vector<sdk::Message>& messages) {
  std::vector<sdk::Result<void>> results;
  results.reserve(messages.size());
  bool any_written = false;
  for (const auto& message : messages) {
    results.push_back(write(message));
    any_written = any_written || results.back().ok();
  }
  if (!any_written) return results;
  const auto error = sync_->wait_durable();
  for (std::size_t i = 0; i < messages.size(); ++i) {
    if (!results[i].ok()) continue;
    if (error.empty()) {
      written(messages[i]);
    } else {
      results[i] = sdk::fail(sdk::ErrorCode::retryable, error);
    }
  }
  return results;
}

sdk::Result<void> OutboxChannel::ready() {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) {
    return sdk::fail(sdk::ErrorCode::unavailable, dir_ + " is not a folder");
  }
  return sdk::success();
}

}  // namespace linkgate::plugins::outbox
