// The redirect_uri validator: never crashes, and nothing it allows carries userinfo, a
// backslash, a control character, a scheme other than http(s), or leaves the allowed host.
#include <cstdlib>
#include <string>

#include "flow/redirect_policy.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  static const linkgate::flow::RedirectPolicy policy({"https://app.example.com/*",
                                                      "http://localhost:3000/callback",
                                                      "https://x.example.org/a/*/b"});
  const std::string url(reinterpret_cast<const char*>(data), size);
  auto parsed = linkgate::flow::parse_redirect_url(url);
  const bool allowed = policy.allows(url);
  if (allowed && !parsed) std::abort();
  if (!allowed) return 0;
  for (unsigned char c : url) {
    if (c <= 0x20 || c >= 0x7f || c == '\\') std::abort();
  }
  const auto authority_end = url.find_first_of("/?#", url.find("://") + 3);
  if (url.substr(0, authority_end).find('@') != std::string::npos) std::abort();
  if (parsed->host != "app.example.com" && parsed->host != "localhost" &&
      parsed->host != "x.example.org") {
    std::abort();
  }
  return 0;
}
