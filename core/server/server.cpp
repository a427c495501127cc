#include "server/server.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>

#include <chrono>
#include <stdexcept>

#include "http/routes.h"
#include "server/http_bridge.h"

namespace linkgate::server {
namespace {

class RequestHandler final : public Poco::Net::HTTPRequestHandler {
 public:
  RequestHandler(std::shared_ptr<wiring::Runtime> runtime, ConnectionDeadlines& deadlines)
      : runtime_(std::move(runtime)), deadlines_(deadlines) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    deadlines_.request_started();
    const auto started = std::chrono::steady_clock::now();
    const auto max_body = static_cast<std::size_t>(runtime_->settings().server.max_body_bytes);
    http::Response answer;
    std::string path;
    try {
      auto complete = read_request(request, max_body);
      if (complete) {
        path = complete->path();
        answer = http::dispatch(*complete, *runtime_);
      } else {
        path = request.getURI().substr(0, request.getURI().find('?'));
        answer = body_too_large(max_body);
      }
      write_response(answer, request.getMethod() == "HEAD", response);
    } catch (...) {
      // Nothing may escape into Poco's worker thread; the client may also have gone away.
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const std::string route = http::route_label(path);
    auto& metrics = runtime_->metrics();
    metrics.add("linkgate_http_requests_total",
                {{"route", route}, {"status", std::to_string(answer.status)}}, 1,
                "HTTP requests by route and status");
    metrics.observe("linkgate_http_request_seconds", {{"route", route}}, seconds,
                    "HTTP request latency");
    deadlines_.request_finished();
  }

 private:
  std::shared_ptr<wiring::Runtime> runtime_;
  ConnectionDeadlines& deadlines_;
};

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
  return context;
}

}  // namespace

class HandlerFactory final : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  HandlerFactory(const Server& server, ConnectionDeadlines& deadlines)
      : server_(server), deadlines_(deadlines) {}
  /// Tells every connection to finish the request it is on and take no more.
  void stop_connections() { serverStopped(this, false); }
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    // Each request keeps the runtime it started with alive, so a reload never pulls plugins
    // out from under it.
    return new RequestHandler(server_.runtime(), deadlines_);
  }

 private:
  const Server& server_;
  ConnectionDeadlines& deadlines_;
};

Server::Server(const config::Settings& settings, std::shared_ptr<wiring::SharedState> shared)
    : shared_(std::move(shared)) {
  runtime_ = wiring::Runtime::build(settings, shared_);
  pool_ = std::make_unique<Poco::ThreadPool>(2, settings.server.threads, 60);
  deadlines_ = std::make_unique<ConnectionDeadlines>(settings.server.request_timeout,
                                                     settings.server.keep_alive_timeout);
  handler_factory_ = new HandlerFactory(*this, *deadlines_);
  handlers_ = handler_factory_;
  scheme_ = settings.server.https() ? "https" : "http";
  Poco::Net::Context::Ptr tls;
  try {
    if (settings.server.https()) tls = server_tls_context(settings);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("server.tls: " + e.displayText());
  }
  for (const auto& address : settings.server.listen) {
    auto params = Poco::AutoPtr<Poco::Net::HTTPServerParams>(new Poco::Net::HTTPServerParams);
    params->setMaxThreads(settings.server.threads);
    params->setMaxQueued(256);
    params->setTimeout(Poco::Timespan(settings.server.request_timeout.count() * 1000));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(settings.server.keep_alive_timeout.count() * 1000));
    params->setMaxKeepAliveRequests(1000);
    params->setServerName("linkgate");
    params->setSoftwareVersion("linkgate");
    try {
      Poco::Net::SocketAddress where(address.host, address.port);
      std::unique_ptr<Poco::Net::ServerSocket> socket;
      if (tls) {
        socket = std::make_unique<Poco::Net::SecureServerSocket>(where, 64, tls);
      } else {
        socket = std::make_unique<Poco::Net::ServerSocket>(where, 64);
      }
      ports_.push_back(socket->address().port());
      servers_.push_back(std::make_unique<Poco::Net::TCPServer>(
          new ConnectionDeadlines::Factory(*deadlines_, params, handlers_), *pool_, *socket,
          params));
    } catch (const Poco::Exception& e) {
      throw std::runtime_error("server.listen: cannot listen on " + address.host + ":" +
                               std::to_string(address.port) + ": " + e.displayText());
    }
  }
}

Server::~Server() {
  stop();
}

void Server::start() {
  runtime()->start();
  for (auto& s : servers_) s->start();
  started_ = true;
}

void Server::stop() {
  if (!started_) return;
  started_ = false;
  for (auto& s : servers_) s->stop();
  handler_factory_->stop_connections();  // connections finish the request they are on
  deadlines_->close_idle();              // and idle keep-alive connections end now
  pool_->joinAll();
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
  std::shared_ptr<wiring::Runtime> previous;
  {
    std::lock_guard lock(mutex_);
    previous = runtime_;
    runtime_ = next;
  }
  // The previous runtime is destroyed when its last in-flight request finishes.
  return {};
}

}  // namespace linkgate::server
