#include "server/server.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/ServerSocket.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <csignal>
#include <stdexcept>
#include <thread>

#include "host/request_scope.h"
#include "http/answer_later.h"
#include "http/request_id.h"
#include "http/routes.h"

namespace linkgate::server {
namespace {

Poco::Net::Context::Ptr server_tls_context(const config::Settings& settings) {
  Poco::Net::initializeSSL();
  Poco::Net::Context::Params params;
  params.privateKeyFile = settings.server.tls_key_file;
  params.certificateFile = settings.server.tls_cert_file;
  params.verificationMode = Poco::Net::Context::VERIFY_NONE;
  params.cipherList = "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!MD5:!RC4:!3DES";
  params.dhUse2048Bits = true;
  auto context =
      Poco::Net::Context::Ptr(new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, params));
  context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
  context->preferServerCiphers();
  context->setInvalidCertificateHandler(new Poco::Net::RejectCertificateHandler(true));
  // Non-blocking writes: a write that would block is retried later from wherever the output
  // buffer then starts, and may complete in parts.
  SSL_CTX_set_mode(context->sslContext(),
                   SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_ENABLE_PARTIAL_WRITE);
  return context;
}

std::vector<Poco::Net::ServerSocket> bind_all(const std::vector<config::ListenAddress>& addresses,
                                              const char* key, std::vector<std::uint16_t>& ports) {
  std::vector<Poco::Net::ServerSocket> listeners;
  for (const auto& address : addresses) {
    try {
      Poco::Net::ServerSocket socket(Poco::Net::SocketAddress(address.host, address.port), 1024);
      ports.push_back(socket.address().port());
      listeners.push_back(socket);
    } catch (const Poco::Exception& e) {
      throw std::runtime_error(std::string(key) + ": cannot listen on " + address.host + ":" +
                               std::to_string(address.port) + ": " + e.displayText());
    }
  }
  return listeners;
}

}  // namespace

std::size_t worker_count(int configured) {
  if (configured > 0) return static_cast<std::size_t>(configured);
  const std::size_t cores = std::max(1U, std::thread::hardware_concurrency());
  return std::max<std::size_t>(64, 16 * cores);
}

FrontEndOptions front_end_options(const config::Settings& settings) {
  const auto& s = settings.server;
  FrontEndOptions options;
  options.running_threads = static_cast<std::size_t>(s.running_threads);
  options.limits.max_body_bytes = static_cast<std::size_t>(s.max_body_bytes);
  options.limits.max_head_bytes = static_cast<std::size_t>(s.max_header_bytes);
  options.timeouts.idle = s.keep_alive_timeout;
  options.timeouts.head = s.header_timeout;
  options.timeouts.body = s.request_timeout;
  options.timeouts.send = s.request_timeout;
  options.max_connections = static_cast<std::size_t>(s.max_connections);
  options.max_connections_per_client = static_cast<std::size_t>(s.max_connections_per_client);
  return options;
}

Server::Server(const config::Settings& settings, std::shared_ptr<wiring::SharedState> shared)
    : shared_(std::move(shared)) {
  runtime_ = wiring::Runtime::build(settings, shared_);
  request_metrics_ = std::make_shared<RequestMetrics>(runtime_->metrics());
  scheme_ = settings.server.https() ? "https" : "http";
  shutdown_timeout_ = settings.server.shutdown_timeout;
  Poco::Net::Context::Ptr tls;
  try {
    if (settings.server.https()) tls = server_tls_context(settings);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("server.tls: " + e.displayText());
  }
  front_end_ = std::make_unique<FrontEnd>(
      front_end_options(settings), bind_all(settings.server.listen, "server.listen", ports_), tls,
      worker_count(settings.server.threads),
      [this](http::Request&& request) { return answer(std::move(request)); });
  if (!settings.server.admin.listen.empty()) {
    // Scrapes and probes get a loop and workers of their own: a flood on the public side does
    // not hide it from monitoring.
    admin_front_end_ = std::make_unique<FrontEnd>(
        front_end_options(settings),
        bind_all(settings.server.admin.listen, "server.admin.listen", admin_ports_), nullptr, 2,
        [this](http::Request&& request) {
          request.admin = true;
          return answer(std::move(request));
        });
  }
}

Server::~Server() {
  stop();
}

http::Response Server::answer(http::Request&& request) {
  // Each request keeps the runtime it started with alive, so a reload never pulls plugins out
  // from under it.
  const auto runtime = this->runtime();
  const auto started = std::chrono::steady_clock::now();
  const std::string& route = http::route_label(request.path());
  const auto& settings = runtime->settings();
  const std::string id = http::request_id(request, settings.server.trusted_proxy_ranges);
  host::RequestScope scope(id);
  auto& metrics = runtime->metrics();
  if (route == "/metrics") {
    const auto c = front_end_->stats();
    metrics.set("linkgate_connections_open", {}, static_cast<double>(c.open),
                "Client connections open now");
    const std::pair<const char*, std::uint64_t> refused[] = {
        {"max_connections", c.refused_max_connections},
        {"max_connections_per_client", c.refused_per_client},
        {"no_file_descriptor", c.refused_no_descriptor}};
    for (const auto& [reason, count] : refused) {
      metrics.set("linkgate_connections_refused_total", {{"reason", reason}},
                  static_cast<double>(count), "Connections closed at accept, by reason");
    }
    metrics.set("linkgate_connections_timed_out_total", {}, static_cast<double>(c.timed_out),
                "Connections closed because a deadline passed");
    metrics.set("linkgate_tls_handshakes_failed_total", {},
                static_cast<double>(c.tls_handshakes_failed), "TLS handshakes that failed");
    metrics.set("linkgate_http_answered_later_total", {}, static_cast<double>(c.answered_later),
                "Requests answered once the commit holding their rows was done, by whichever "
                "server thread took the answer, instead of by a thread that waited for it");
  }
  http::Response response = http::dispatch(request, *runtime);
  auto finish = [runtime, metrics = request_metrics_, id, label = &route, started,
                 method = request.method,
                 path = request.path().substr(0, 200)](http::Response& answer) {
    answer.set("X-Request-Id", id);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const auto& settings = runtime->settings();
    if (settings.log.access && runtime->log().enabled(sdk::LogLevel::info)) {
      // The path only: a query string may carry a link token. The id is added by the log.
      host::RequestScope scope(id);
      char took[32];
      std::snprintf(took, sizeof took, "%.1f ms", seconds * 1000);
      runtime->log().write(sdk::LogLevel::info, "access",
                           method + " " + path + " " + std::to_string(answer.status) + " " + took);
    }
    metrics->record(*label, answer.status, seconds);
  };
  if (http::AnswerLater::taken()) {
    // Answered later (http/answer_later.h): counted and logged when it is made.
    http::AnswerLater::then(std::move(finish));
    return response;
  }
  finish(response);
  return response;
}

void Server::start() {
  if (started_) return;
  // A client that resets a TLS connection must not end the process through a write.
  std::signal(SIGPIPE, SIG_IGN);
  open_file_limit_ = raise_open_file_limit();
  runtime()->start();
  front_end_->start();
  if (admin_front_end_) admin_front_end_->start();
  started_ = true;
}

void Server::stop() {
  if (!started_) return;
  started_ = false;
  front_end_->stop(shutdown_timeout_);
  if (admin_front_end_) admin_front_end_->stop(shutdown_timeout_);
  runtime()->outbox_worker().stop();
}

std::string Server::base_url() const {
  return scheme_ + "://127.0.0.1:" + std::to_string(ports_.empty() ? 0 : ports_.front());
}

std::shared_ptr<wiring::Runtime> Server::runtime() const {
  std::lock_guard lock(mutex_);
  return runtime_;
}

config::Diagnostics Server::reload(const config::Settings& settings) {
  std::shared_ptr<wiring::Runtime> next;
  try {
    next = wiring::Runtime::build(settings, shared_);
  } catch (const wiring::DeploymentError& e) {
    return e.diagnostics();
  } catch (const std::exception& e) {
    config::Diagnostics unexpected;
    unexpected.add("", e.what(), 0);
    return unexpected;
  }
  if (started_) next->start();
  {
    std::lock_guard lock(mutex_);
    runtime_ = next;
  }
  front_end_->set_options(front_end_options(settings));
  if (admin_front_end_) admin_front_end_->set_options(front_end_options(settings));
  shutdown_timeout_ = settings.server.shutdown_timeout;
  // The previous runtime is destroyed when its last in-flight request finishes.
  return {};
}

}  // namespace linkgate::server
