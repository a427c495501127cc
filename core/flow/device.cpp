#include "flow/device.h"

namespace linkgate::flow {
namespace {
bool has(const std::string& s, const char* needle) {
  return s.find(needle) != std::string::npos;
}
}  // namespace

std::string describe_device(const std::string& ua) {
  if (ua.empty()) return "an unknown device";
  std::string browser = "a browser";
  if (has(ua, "Edg/"))
    browser = "Edge";
  else if (has(ua, "OPR/"))
    browser = "Opera";
  else if (has(ua, "Firefox/"))
    browser = "Firefox";
  else if (has(ua, "Chrome/") || has(ua, "CriOS/"))
    browser = "Chrome";
  else if (has(ua, "Safari/"))
    browser = "Safari";
  else if (has(ua, "curl/"))
    return "curl";
  std::string os;
  if (has(ua, "iPhone"))
    os = "iPhone";
  else if (has(ua, "iPad"))
    os = "iPad";
  else if (has(ua, "Android"))
    os = "Android";
  else if (has(ua, "Windows"))
    os = "Windows";
  else if (has(ua, "Mac OS X") || has(ua, "Macintosh"))
    os = "macOS";
  else if (has(ua, "CrOS"))
    os = "ChromeOS";
  else if (has(ua, "Linux"))
    os = "Linux";
  return os.empty() ? browser : browser + " on " + os;
}

}  // namespace linkgate::flow
