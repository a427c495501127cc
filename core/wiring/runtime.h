#pragma once
// Everything one configuration builds: plugins, stores, templates, keys and the flow. A SIGHUP
// builds a new Runtime and swaps it in; requests in flight finish on the old one.

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "audit/audit_log.h"
#include "config/diagnostics.h"
#include "config/settings.h"
#include "flow/abuse_limits.h"
#include "flow/flow_store.h"
#include "flow/magic_link_service.h"
#include "flow/message_templates.h"
#include "flow/redirect_policy.h"
#include "host/host_services.h"
#include "limits/rate_limiter.h"
#include "outbox/delivery_routes.h"
#include "outbox/message_queue.h"
#include "outbox/outbox_store.h"
#include "outbox/outbox_worker.h"
#include "plugin_host/guarded_plugins.h"
#include "plugin_host/plugin_host.h"
#include "session/session_tokens.h"
#include "session/signing_keys.h"

namespace linkgate::wiring {

/// What lives across reloads: the log, metrics, the replay cache and revocation list.
struct SharedState {
  host::SharedServices services;
  std::shared_ptr<plugin_host::PluginHost> plugin_host;
  std::shared_ptr<limits::RateLimiter> rate_limiter;
  std::string store;  // where services.expiring_keys and rate_limiter live (see use_store)
  /// The core database the newest Runtime opened. A reload naming the same one reuses it: one
  /// writer and one checkpointer per database file, and the key store above writes through
  /// the handle the flows use (a redeem's entry and completion commit together, WriteUnit).
  std::weak_ptr<sql::Database> core_database;

  /// Makes the replay cache, revocation list and rate limits live in @p store unless they
  /// already do: "redis://host:port" puts all three in Redis; "memory" keeps the rate limits in
  /// this process and the replay cache and revocation list in @p core_db (the outbox database),
  /// so they survive a restart — or in memory when there is no @p core_db. Throws
  /// std::runtime_error when Redis cannot be reached or the database is unusable.
  void use_store(const std::string& store, const std::shared_ptr<sql::Database>& core_db);

  /// The defaults: stderr log per @p settings, system clock, OpenSSL random, memory keys.
  static std::shared_ptr<SharedState> create(const config::Settings& settings,
                                             std::shared_ptr<const sdk::Clock> clock = nullptr);
};

/// Why a deployment cannot start: every problem found, each with its YAML path and line.
class DeploymentError : public std::runtime_error {
 public:
  explicit DeploymentError(config::Diagnostics diagnostics)
      : std::runtime_error(diagnostics.to_string()), diagnostics_(std::move(diagnostics)) {}
  [[nodiscard]] const config::Diagnostics& diagnostics() const { return diagnostics_; }

 private:
  config::Diagnostics diagnostics_;
};

/// Shared: a request keeps the runtime it started with alive until it is answered, also when its
/// answer is made later (shared_from_this()).
class Runtime : public std::enable_shared_from_this<Runtime> {
 public:
  /// Builds everything for @p settings: creates every plugin instance, opens the stores, keys,
  /// templates and the audit log. Throws DeploymentError listing every problem (plugins that
  /// cannot be found, configured or created, keys or stores that cannot be opened), not only
  /// the first. Starts nothing: start() does.
  static std::shared_ptr<Runtime> build(const config::Settings& settings,
                                        std::shared_ptr<SharedState> shared);
  ~Runtime();

  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// Joins the flow database's writers (flow::SqlFlowRepository::join_writers) and starts the
  /// outbox workers.
  void start();

  const config::Settings& settings() const { return settings_; }
  flow::MagicLinkService& flow() { return *flow_; }
  session::SessionTokens& sessions() { return *sessions_; }
  session::SigningKeys& signing_keys() { return *keys_; }
  host::MetricsRegistry& metrics() { return *shared_->services.metrics; }
  host::Log& log() { return *shared_->services.log; }
  outbox::OutboxStore& outbox() { return *outbox_; }
  /// The outbox's database (flows and, without Redis, revocations live there too).
  const std::shared_ptr<sql::Database>& database() const { return database_; }
  outbox::OutboxWorker& outbox_worker() { return *worker_; }
  sdk::UserStore& users() { return *users_; }
  audit::AuditLog& audit() { return *audit_; }
  /// The deployment's secret (security.secret_file): keys codes, identifier hashes, CSRF tokens.
  const std::string& server_secret() const { return server_secret_; }
  /// server.admin's bearer token (from token or token_file); empty when none is required.
  const std::string& admin_token() const { return admin_token_; }
  /// Now, in milliseconds, by the runtime's clock.
  std::int64_t now_ms() const;

  /// Each plugin's readiness: (what, error message or "").
  std::vector<std::pair<std::string, std::string>> readiness();

 private:
  explicit Runtime(const config::Settings& settings) : settings_(settings) {}

  config::Settings settings_;
  std::shared_ptr<SharedState> shared_;
  // Per-plugin services must outlive the plugin objects (they are captured by their deleters).
  std::unique_ptr<plugin_host::GuardedTokenStrategy> tokens_;
  std::unique_ptr<plugin_host::GuardedUserStore> users_;
  outbox::DeliveryRoutes routes_;
  std::shared_ptr<sql::Database> database_;
  std::unique_ptr<flow::SqlFlowRepository> flows_;
  std::shared_ptr<outbox::OutboxStore> outbox_;
  std::unique_ptr<flow::MessageTemplates> templates_;
  std::unique_ptr<flow::RedirectPolicy> redirects_;
  std::unique_ptr<session::SigningKeys> keys_;
  std::unique_ptr<host::PluginServices> core_services_;
  std::shared_ptr<limits::RateLimiter> rate_limiter_;
  std::unique_ptr<flow::AbuseLimits> limits_;
  std::unique_ptr<audit::AuditLog> audit_;
  std::unique_ptr<host::SourceLogger> flow_log_;
  std::unique_ptr<outbox::OutboxQueue> queue_;
  std::string server_secret_;
  std::string admin_token_;
  std::unique_ptr<session::SessionTokens> sessions_;
  std::unique_ptr<flow::MagicLinkService> flow_;
  std::unique_ptr<outbox::OutboxWorker> worker_;
};

}  // namespace linkgate::wiring
