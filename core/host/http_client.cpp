#include "host/http_client.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <memory>

namespace linkgate::host {
namespace {

Poco::Net::Context::Ptr client_context() {
  static Poco::Net::Context::Ptr context = [] {
    Poco::Net::initializeSSL();
    Poco::Net::Context::Params params;
    params.verificationMode = Poco::Net::Context::VERIFY_RELAXED;
    params.loadDefaultCAs = true;
    params.cipherList = "HIGH:!aNULL:!MD5:!RC4";
    auto ctx =
        Poco::Net::Context::Ptr(new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, params));
    ctx->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    // Its own refusal of certificates that do not verify: never Poco's process-wide handler,
    // which a plugin (or nobody) may have configured, and whose default may ask on the console.
    ctx->setInvalidCertificateHandler(new Poco::Net::RejectCertificateHandler(false));
    return ctx;
  }();
  return context;
}

constexpr std::size_t kMaxBody = 1 << 20;

}  // namespace

sdk::Result<sdk::HttpResponse> PocoHttpClient::send(const sdk::HttpRequest& request) noexcept {
  try {
    Poco::URI uri(request.url);
    const std::string scheme = uri.getScheme();
    if ((scheme != "http" && scheme != "https") || uri.getHost().empty()) {
      return sdk::fail(sdk::ErrorCode::invalid, "not an http(s) URL");
    }
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (scheme == "https") {
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(),
                                                                client_context());
    } else {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    }
    const Poco::Timespan timeout(
        std::chrono::duration_cast<std::chrono::microseconds>(request.timeout).count());
    session->setTimeout(timeout, timeout, timeout);
    std::string target = uri.getPathAndQuery();
    if (target.empty()) target = "/";
    Poco::Net::HTTPRequest req(request.method, target, Poco::Net::HTTPMessage::HTTP_1_1);
    for (const auto& [name, value] : request.headers) {
      if (name.find_first_of("\r\n:") != std::string::npos ||
          value.find_first_of("\r\n") != std::string::npos) {
        return sdk::fail(sdk::ErrorCode::invalid, "header name or value contains CR, LF or ':'");
      }
      req.set(name, value);
    }
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
      req.setContentLength(static_cast<std::streamsize>(request.body.size()));
    }
    session->sendRequest(req) << request.body;
    Poco::Net::HTTPResponse res;
    std::istream& in = session->receiveResponse(res);
    sdk::HttpResponse out;
    out.status = static_cast<int>(res.getStatus());
    for (const auto& [name, value] : res) {
      std::string lower = name;
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      out.headers[lower] = value;
    }
    char buffer[8192];
    while (out.body.size() < kMaxBody && in.read(buffer, sizeof buffer).gcount() > 0) {
      out.body.append(buffer, static_cast<std::size_t>(in.gcount()));
    }
    if (out.body.size() > kMaxBody) out.body.resize(kMaxBody);
    return out;
  } catch (const Poco::SyntaxException& e) {
    return sdk::fail(sdk::ErrorCode::invalid, "malformed URL: " + e.displayText());
  } catch (const Poco::Exception& e) {
    return sdk::fail(sdk::ErrorCode::retryable, e.displayText());
  } catch (const std::exception& e) {
    return sdk::fail(sdk::ErrorCode::retryable, e.what());
  }
}

}  // namespace linkgate::host
