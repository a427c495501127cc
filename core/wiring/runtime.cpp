#include "wiring/runtime.h"

#include <openssl/opensslv.h>
#include <unistd.h>

#include <iostream>
#include <stdexcept>

#include "flow/flow_sweeper.h"
#include "flow/sign_in_message.h"
#include "host/expiring_keys.h"
#include "host/redis_expiring_keys.h"
#include "host/sql_expiring_keys.h"
#include "linkgate/sdk/version.h"
#include "session/revocation_watch.h"
#include "util/base64url.h"
#include "util/crypto.h"
#include "util/files.h"
#include "wiring/commit_metrics.h"
#include "wiring/plugin_resolution.h"

namespace linkgate::wiring {
namespace {

std::string load_server_secret(const std::string& file) {
  std::string error;
  auto text = util::create_or_read_secret(
      file, util::base64url_encode(util::random_bytes(32)) + "\n", error);
  if (!text) throw std::runtime_error("server secret: " + error);
  std::string trimmed = text->substr(0, text->find_first_of("\r\n"));
  auto secret = util::base64url_decode(trimmed);
  if (!secret || secret->size() < 32) {
    throw std::runtime_error("server secret " + file +
                             ": expected at least 32 bytes, base64url-encoded");
  }
  return *secret;
}

std::string load_admin_token(const std::string& file) {
  auto text = util::read_file(file);
  if (!text) throw std::runtime_error("cannot read " + file);
  if (auto problem = util::private_file_problem(file); !problem.empty()) {
    throw std::runtime_error(problem);
  }
  std::string token = text->substr(0, text->find_first_of("\r\n"));
  if (token.size() < 16)
    throw std::runtime_error(file + ": the token needs at least 16 characters");
  return token;
}

/// The plugin's object, or nullptr with the reason added to @p diagnostics under the plugin's
/// entry (`delivery[1]`) and line.
template <class T>
std::shared_ptr<T> make_plugin_object(const ResolvedPlugin& plugin,
                                      const std::shared_ptr<SharedState>& shared,
                                      std::unique_ptr<T> sdk::PluginInstance::*member,
                                      config::Diagnostics& diagnostics) {
  auto services = std::make_shared<host::PluginServices>(shared->services, plugin.use.name);
  sdk::PluginContext context{plugin.config, *services};
  auto made = plugin_host::create_instance(plugin.library, context);
  if (auto* error = std::get_if<std::string>(&made)) {
    diagnostics.add(plugin.use.path.substr(0, plugin.use.path.rfind('.')), *error, plugin.use.line);
    return nullptr;
  }
  auto& instance = std::get<sdk::PluginInstance>(made);
  return plugin_host::adopt(std::move(instance.*member), plugin.library, services);
}

/// Runs @p open; what it throws becomes a problem of the setting at @p path.
template <class F>
void checked(config::Diagnostics& diagnostics, const config::Settings& settings,
             const std::string& path, F&& open) {
  try {
    open();
  } catch (const std::exception& e) {
    std::string message = e.what();
    if (message.rfind(path + ": ", 0) == 0) message.erase(0, path.size() + 2);
    // A message that lists several problems (one per line after a heading) becomes one
    // diagnostic per problem, so each is printed on its own line.
    std::vector<std::string> lines;
    for (std::size_t start = 0; start < message.size();) {
      auto end = message.find('\n', start);
      std::string line = message.substr(start, end == std::string::npos ? end : end - start);
      line.erase(0, line.find_first_not_of(' '));
      if (!line.empty()) lines.push_back(line);
      start = end == std::string::npos ? message.size() : end + 1;
    }
    if (lines.size() <= 1) {
      diagnostics.add(path, lines.empty() ? message : lines.front(), settings.line_of(path));
      return;
    }
    for (std::size_t i = 1; i < lines.size(); ++i) {
      diagnostics.add(path, lines.front() + " " + lines[i], settings.line_of(path));
    }
  }
}

}  // namespace

std::shared_ptr<SharedState> SharedState::create(const config::Settings& settings,
                                                 std::shared_ptr<const sdk::Clock> clock) {
  auto shared = std::make_shared<SharedState>();
  auto& s = shared->services;
  s.log = std::make_shared<host::Log>(host::Log::parse_level(settings.log.level),
                                      settings.log.format == "json", STDERR_FILENO);
  s.clock = clock ? clock : std::make_shared<host::SystemClock>();
  s.random = std::make_shared<host::OpenSslRandom>();
  s.metrics = std::make_shared<host::MetricsRegistry>();
  s.metrics->set("linkgate_build_info",
                 {{"version", LINKGATE_SDK_VERSION},
                  {"plugin_abi", std::to_string(LINKGATE_SDK_ABI_VERSION)},
                  {"compiler", LINKGATE_SDK_COMPILER},
                  {"openssl", OPENSSL_VERSION_TEXT}},
                 1, "The running build: version, plugin ABI, compiler, OpenSSL");
  s.expiring_keys = std::make_shared<host::MemoryExpiringKeys>(*s.clock);
  s.http = std::make_shared<host::PocoHttpClient>();
  shared->rate_limiter = std::make_shared<limits::MemoryRateLimiter>(*s.clock);
  shared->store = "memory";
  shared->plugin_host = std::make_shared<plugin_host::PluginHost>(settings.plugin_search_paths);
  return shared;
}

namespace {

// Session revocations kept in an SQLite database (security.store: memory, the core's database)
// are watched through a counter file beside it, so a session used for many requests is read
// from the store once (session/revocation_watch.h). Elsewhere every check reads the store.
void watch_revocations(session::SessionTokens& sessions, const std::string& store, host::Log& log) {
  constexpr std::string_view kSqliteStore = "memory+sqlite:";
  if (store.rfind(kSqliteStore, 0) != 0) return;
  const std::string database_file = store.substr(kSqliteStore.size());
  if (database_file.empty() || database_file == ":memory:") return;
  try {
    sessions.watch_revocations(std::make_shared<session::RevocationWatch>(
        session::revocation_counter_file(database_file)));
  } catch (const std::exception& e) {
    log.write(sdk::LogLevel::warning, "session",
              std::string("every session check reads the revocation store: ") + e.what());
  }
}

}  // namespace

void SharedState::use_store(const std::string& url, const std::shared_ptr<sql::Database>& core_db) {
  const std::string where = url == "memory" && core_db ? "memory+" + core_db->url() : url;
  if (where == store) return;
  if (url == "memory") {
    if (core_db) {
      services.expiring_keys = std::make_shared<host::SqlExpiringKeys>(core_db, *services.clock);
    } else {
      services.expiring_keys = std::make_shared<host::MemoryExpiringKeys>(*services.clock);
    }
    if (store.rfind("memory", 0) != 0) {
      rate_limiter = std::make_shared<limits::MemoryRateLimiter>(*services.clock);
    }
  } else {
    std::shared_ptr<redis::RedisClient> redis;
    try {
      redis = std::make_shared<redis::RedisClient>(url);
      redis->ping();
    } catch (const std::exception& e) {
      throw std::runtime_error(std::string("security.store: ") + e.what());
    }
    services.expiring_keys = std::make_shared<host::RedisExpiringKeys>(redis);
    rate_limiter = std::make_shared<limits::RedisRateLimiter>(redis, *services.clock);
  }
  store = where;
}

std::shared_ptr<Runtime> Runtime::build(const config::Settings& settings,
                                        std::shared_ptr<SharedState> shared) {
  std::shared_ptr<Runtime> rt(new Runtime(settings));
  rt->shared_ = shared;
  auto& log = *shared->services.log;

  // Every problem is collected before giving up, so one run of check-config lists them all.
  config::Diagnostics problems;
  checked(problems, settings, "outbox.store", [&] {
    auto open_already = shared->core_database.lock();
    rt->database_ = open_already && open_already->url() == settings.outbox.store
                        ? open_already
                        : sql::Database::open(settings.outbox.store);
    shared->core_database = rt->database_;
    rt->outbox_ = std::make_shared<outbox::OutboxStore>(rt->database_);
    rt->flows_ = std::make_unique<flow::SqlFlowRepository>(rt->database_, rt->outbox_);
  });
  checked(problems, settings, "security.store",
          [&] { shared->use_store(settings.security.store, rt->database_); });
  rt->rate_limiter_ = shared->rate_limiter;
  // A reload may name new search paths.
  if (shared->plugin_host->search_paths() != settings.plugin_search_paths) {
    shared->plugin_host = std::make_shared<plugin_host::PluginHost>(settings.plugin_search_paths);
  }
  if (auto plugins = resolve_plugins(settings, *shared->plugin_host, problems)) {
    const auto& log_ptr = shared->services.log;
    host::MetricsRegistry* metrics = shared->services.metrics.get();
    if (auto token = make_plugin_object(plugins->token, shared,
                                        &sdk::PluginInstance::token_strategy, problems)) {
      rt->tokens_ = std::make_unique<plugin_host::GuardedTokenStrategy>(
          token, plugins->token.use.name, log_ptr, plugins->token.use.call_timeout, metrics);
    }
    if (auto users = make_plugin_object(plugins->users, shared, &sdk::PluginInstance::user_store,
                                        problems)) {
      rt->users_ = std::make_unique<plugin_host::GuardedUserStore>(
          users, plugins->users.use.name, log_ptr, plugins->users.use.call_timeout, metrics);
    }
    for (std::size_t i = 0; i < plugins->delivery.size(); ++i) {
      const auto& p = plugins->delivery[i];
      auto channel =
          make_plugin_object(p, shared, &sdk::PluginInstance::delivery_channel, problems);
      if (!channel) continue;
      auto guarded = std::make_shared<plugin_host::GuardedDeliveryChannel>(
          channel, p.use.name, log_ptr, p.use.call_timeout, metrics);
      auto send_shared = [guarded](auto messages) {
        return guarded->send_shared_batch(std::move(messages));
      };
      rt->routes_.push_back({plugins->delivery_kinds[i], p.use.name, std::move(guarded),
                             settings.delivery[i].concurrency, send_shared});
    }
  }

  checked(problems, settings, "templates.dir", [&] {
    rt->templates_ = std::make_unique<flow::MessageTemplates>(settings.templates.dir,
                                                              settings.templates.locale_default);
  });
  rt->redirects_ = std::make_unique<flow::RedirectPolicy>(settings.security.redirect_allowlist);
  for (const auto& bad : rt->redirects_->invalid_patterns()) {
    problems.add("security.redirect_allowlist", "not an absolute http(s) URL: " + bad,
                 settings.line_of("security.redirect_allowlist"));
  }
  checked(problems, settings, "session.keys_dir", [&] {
    rt->keys_ = std::make_unique<session::SigningKeys>(
        settings.session.keys_dir, settings.session.rotate_every, settings.session.ttl,
        *shared->services.clock);
  });
  checked(problems, settings, "log.audit_file",
          [&] { rt->audit_ = std::make_unique<audit::AuditLog>(settings.log.audit_file); });
  checked(problems, settings, "security.secret_file",
          [&] { rt->server_secret_ = load_server_secret(settings.security.secret_file); });
  rt->admin_token_ = settings.server.admin.token;
  if (!settings.server.admin.token_file.empty()) {
    checked(problems, settings, "server.admin.token_file",
            [&] { rt->admin_token_ = load_admin_token(settings.server.admin.token_file); });
  }
  if (!problems.ok()) throw DeploymentError(std::move(problems));

  rt->core_services_ = std::make_unique<host::PluginServices>(shared->services, "core");
  rt->sessions_ = std::make_unique<session::SessionTokens>(
      *rt->keys_, settings.server.public_base_url, settings.session.audience, settings.session.ttl,
      *rt->core_services_);
  watch_revocations(*rt->sessions_, shared->store, log);
  outbox::WorkerSettings worker_settings;
  worker_settings.threads = settings.outbox.workers > 0 ? settings.outbox.workers
                                                        : outbox::worker_threads_for(rt->routes_);
  worker_settings.max_attempts = settings.outbox.attempts;
  worker_settings.backoff = settings.outbox.backoff;
  worker_settings.poll_interval = settings.outbox.poll_interval;
  worker_settings.lease_seconds = std::max<std::int64_t>(1, settings.outbox.lease.count() / 1000);
  worker_settings.retention_seconds =
      std::max<std::int64_t>(1, settings.outbox.retention.count() / 1000);
  // Flows live in the outbox's database: the worker that purges finished messages sweeps
  // expired flows too, a day after they ended (off the request path, in bounded statements).
  worker_settings.housekeeping = [flows = rt->flows_.get(), metrics = shared->services.metrics,
                                  log = shared->services.log,
                                  grace = worker_settings.retention_seconds](std::int64_t now) {
    flow::sweep_flows(*flows, now, grace, *metrics, *log);
  };
  // A start stores its message's link and code, not the rendered message: rendered here, once
  // claimed, with the templates of the runtime that delivers it.
  worker_settings.render = [templates = rt->templates_.get(), settings = &rt->settings_](
                               outbox::OutboxMessage& message, std::int64_t now) {
    flow::render_stored_message(*templates, *settings, now, message);
  };
  rt->worker_ =
      std::make_unique<outbox::OutboxWorker>(rt->outbox_, rt->routes_, worker_settings, log,
                                             *shared->services.metrics, *shared->services.clock);
  rt->limits_ = std::make_unique<flow::AbuseLimits>(rt->settings_.security, *rt->rate_limiter_);
  rt->queue_ = std::make_unique<outbox::OutboxQueue>(rt->worker_.get());
  rt->flow_log_ = std::make_unique<host::SourceLogger>(log, "flow");
  flow::FlowDependencies deps{rt->settings_,
                              {*rt->tokens_, *rt->users_},
                              {*rt->flows_, *rt->queue_},
                              {rt->routes_, *rt->templates_},
                              {*rt->redirects_, *rt->limits_},
                              *rt->sessions_,
                              *rt->core_services_,
                              {*rt->flow_log_, *shared->services.metrics, *rt->audit_},
                              flow::KeyedHashes(rt->server_secret_)};
  rt->flow_ = std::make_unique<flow::MagicLinkService>(std::move(deps));
  return rt;
}

Runtime::~Runtime() {
  if (worker_) worker_->stop();
}

std::int64_t Runtime::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             shared_->services.clock->now().time_since_epoch())
      .count();
}

void Runtime::start() {
  report_commits(*shared_->services.metrics, database_);
  // Before the server listens, not at its first start: on a large database the first start
  // would otherwise wait while the pending flows load, with every start behind it.
  try {
    flows_->join_writers(shared_->services.clock->now_seconds());
  } catch (const std::exception& e) {
    log().write(sdk::LogLevel::warning, "core",
                std::string("flows: ") + e.what() + " (tried again at the first sign-in start)");
  }
  worker_->start();
}

std::vector<std::pair<std::string, std::string>> Runtime::readiness() {
  std::vector<std::pair<std::string, std::string>> out;
  auto add = [&](const std::string& what, const sdk::Result<void>& r) {
    out.emplace_back(what,
                     r.ok() ? "" : (r.error().message.empty() ? "not ready" : r.error().message));
  };
  add("token:" + tokens_->plugin(), tokens_->ready());
  add("users:" + users_->plugin(), users_->ready());
  for (const auto& r : routes_) add("delivery:" + r.plugin, r.channel->ready());
  auto depth = outbox_->depth();
  out.emplace_back("outbox", depth.ok() ? "" : depth.error().message);
  return out;
}

}  // namespace linkgate::wiring
