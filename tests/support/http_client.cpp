#include "support/http_client.h"

#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/NameValueCollection.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <memory>
#include <sstream>

namespace linkgate::testing {

std::string url_encode(const std::string& s) {
  std::string out;
  Poco::URI::encode(s, "!#$&'()*+,/:;=?@[]", out);
  return out;
}

Reply HttpClient::get(const std::string& path, const std::map<std::string, std::string>& headers) {
  return request("GET", path, "", "", headers);
}

Reply HttpClient::post_json(const std::string& path, const std::string& json,
                            const std::map<std::string, std::string>& headers) {
  return request("POST", path, "application/json", json, headers);
}

Reply HttpClient::post_form(const std::string& path, const std::string& form,
                            const std::map<std::string, std::string>& headers) {
  return request("POST", path, "application/x-www-form-urlencoded", form, headers);
}

Reply HttpClient::request(const std::string& method, const std::string& path,
                          const std::string& content_type, const std::string& body,
                          const std::map<std::string, std::string>& headers) {
  Poco::URI uri(base_);
  std::unique_ptr<Poco::Net::HTTPClientSession> owned;
  if (uri.getScheme() == "https") {
    Poco::Net::Context::Ptr context(new Poco::Net::Context(
        Poco::Net::Context::TLS_CLIENT_USE, "", "", ca_file, Poco::Net::Context::VERIFY_STRICT));
    owned = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
  } else {
    owned = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
  }
  Poco::Net::HTTPClientSession& session = *owned;
  session.setTimeout(Poco::Timespan(20, 0));
  Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
  if (!content_type.empty()) req.setContentType(content_type);
  for (const auto& [k, v] : headers) req.set(k, v);
  if (use_cookies && !cookies.empty()) {
    Poco::Net::NameValueCollection jar;
    for (const auto& [k, v] : cookies) jar.add(k, v);
    req.setCookies(jar);
  }
  if (method == "POST" || !body.empty())
    req.setContentLength(static_cast<std::streamsize>(body.size()));
  session.sendRequest(req) << body;
  Poco::Net::HTTPResponse res;
  std::istream& in = session.receiveResponse(res);
  Reply reply;
  reply.status = static_cast<int>(res.getStatus());
  std::ostringstream text;
  Poco::StreamCopier::copyStream(in, text);
  reply.body = text.str();
  for (const auto& [k, v] : res) {
    std::string name = k;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    auto& slot = reply.headers[name];
    slot += (slot.empty() ? "" : "\n") + v;
  }
  std::vector<Poco::Net::HTTPCookie> received;
  res.getCookies(received);
  for (const auto& c : received) {
    if (c.getMaxAge() == 0) {
      cookies.erase(c.getName());
    } else {
      cookies[c.getName()] = c.getValue();
    }
  }
  return reply;
}

std::string csrf_of(const std::string& html) {
  const std::string marker = "name=\"csrf\" value=\"";
  auto at = html.find(marker);
  if (at == std::string::npos) return "";
  at += marker.size();
  return html.substr(at, html.find('"', at) - at);
}

}  // namespace linkgate::testing
