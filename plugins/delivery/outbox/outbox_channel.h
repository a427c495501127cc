#pragma once
// The development channel: each message becomes one JSON file in a folder, and its link is
// written to the log, so a newcomer can sign in without any mail server.

#include <memory>
#include <string>
#include <vector>

#include "linkgate/sdk/sdk.h"
#include "util/folder_sync.h"

namespace linkgate::plugins::outbox {

class OutboxChannel final : public sdk::DeliveryChannel {
 public:
  /// Creates @p dir (mode 0700) if needed. Throws std::runtime_error when it cannot.
  OutboxChannel(std::string dir, bool log_link, sdk::HostServices& host);

  /// Writes `<dir>/<message.id>.json` atomically and returns once it is on disk; a retry of the
  /// same message overwrites it. Concurrent sends share one sync of the filesystem.
  sdk::Result<void> send(const sdk::Message& message) override;
  sdk::Result<void> ready() override;
  /// kBatchLimit: a batch is written file by file and made durable with one sync.
  std::size_t batch_limit() override { return kBatchLimit; }
  /// Writes each message's file as send() does, then waits for one sync for all of them.
  std::vector<sdk::Result<void>> send_batch(const std::vector<sdk::Message>& messages) override;

  static constexpr std::size_t kBatchLimit = 256;

  /// The file a message with @p id is written to.
  [[nodiscard]] std::string file_for(const std::string& id) const;
  /// How many syncs of the folder's filesystem have run (for tests).
  [[nodiscard]] std::uint64_t syncs() const { return sync_->syncs(); }

 private:
  // The file written, or why not, before the sync that makes it durable.
  sdk::Result<void> write(const sdk::Message& message);
  // After the sync: the log line and the count.
  void written(const sdk::Message& message);

  std::string dir_;
  bool log_link_;
  sdk::HostServices& host_;
  std::unique_ptr<util::FolderSync> sync_;
};

/// The JSON document written for @p message.
std::string message_json(const sdk::Message& message);

}  // namespace linkgate::plugins::outbox
