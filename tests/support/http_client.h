#pragma once
// A small blocking HTTP client for tests (Poco), with a cookie jar.

#include <map>
#include <string>

namespace linkgate::testing {

struct Reply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased; Set-Cookie lines joined by "\n"
  [[nodiscard]] std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

class HttpClient {
 public:
  explicit HttpClient(std::string base_url) : base_(std::move(base_url)) {}

  Reply get(const std::string& path, const std::map<std::string, std::string>& headers = {});
  Reply post_json(const std::string& path, const std::string& json,
                  const std::map<std::string, std::string>& headers = {});
  Reply post_form(const std::string& path, const std::string& form,
                  const std::map<std::string, std::string>& headers = {});
  Reply request(const std::string& method, const std::string& path, const std::string& content_type,
                const std::string& body, const std::map<std::string, std::string>& headers);

  /// For an https:// base URL: the CA that signed the server's certificate (verified strictly).
  std::string ca_file;
  /// Cookies received so far (name -> value); sent back on later requests.
  std::map<std::string, std::string> cookies;
  bool use_cookies = true;

 private:
  std::string base_;
};

/// The CSRF token in a built-in page's forms ("" when there is none).
std::string csrf_of(const std::string& html);

/// Percent-encodes @p s for a form or a query string.
std::string url_encode(const std::string& s);

}  // namespace linkgate::testing
