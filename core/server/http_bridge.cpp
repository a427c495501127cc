#include "server/http_bridge.h"

#include <Poco/JSON/Object.h>

#include <istream>

#include "http/json_text.h"

namespace linkgate::server {

std::optional<http::Request> read_request(Poco::Net::HTTPServerRequest& request,
                                          std::size_t max_body) {
  if (request.hasContentLength() &&
      request.getContentLength64() > static_cast<std::int64_t>(max_body)) {
    return std::nullopt;
  }
  http::Request out;
  out.method = request.getMethod();
  out.target = request.getURI();
  out.peer = request.clientAddress().host().toString();
  for (const auto& [name, value] : request) out.headers.emplace_back(name, value);
  std::istream& body = request.stream();
  char buffer[4096];
  while (body.read(buffer, sizeof buffer).gcount() > 0) {
    out.body.append(buffer, static_cast<std::size_t>(body.gcount()));
    if (out.body.size() > max_body) return std::nullopt;
  }
  return out;
}

void write_response(const http::Response& answer, bool head,
                    Poco::Net::HTTPServerResponse& response) {
  response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(answer.status),
                              http::reason_phrase(answer.status));
  for (const auto& [name, value] : answer.headers) response.add(name, value);
  if (answer.close) response.setKeepAlive(false);
  response.setContentLength64(static_cast<Poco::UInt64>(answer.body.size()));
  if (head || answer.body.empty()) {
    response.send();
  } else {
    response.sendBuffer(answer.body.data(), answer.body.size());
  }
}

http::Response body_too_large(std::size_t max_body) {
  http::Response answer;
  answer.status = 413;
  answer.close = true;
  answer.set("Content-Type", "application/json; charset=utf-8");
  answer.set("Cache-Control", "no-store");
  answer.set("X-Content-Type-Options", "nosniff");
  auto body = http::json_object();
  body.set("error", "payload_too_large");
  body.set("error_description", "The body is larger than " + std::to_string(max_body) + " bytes.");
  answer.body = http::json_text(body);
  return answer;
}

}  // namespace linkgate::server
