#include "http/body_fields.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <algorithm>

#include "util/flat_json.h"

namespace linkgate::http {
namespace {

// Only flat objects are accepted; checking depth first keeps any parser recursion shallow.
bool is_flat(const std::string& body) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > 1) return false;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return true;
}

// Form encoding: '+' is a space (a literal plus arrives as %2B). Poco's plusAsSpace only applies
// after a '?', so it is translated here.
std::string url_decode(std::string s) {
  std::replace(s.begin(), s.end(), '+', ' ');
  std::string out;
  Poco::URI::decode(s, out);
  return out;
}

}  // namespace

sdk::Result<Fields> parse_json_fields(const std::string& body) {
  if (!is_flat(body)) {
    return sdk::fail(sdk::ErrorCode::invalid, "nested JSON values are not accepted");
  }
  auto object = util::FlatJsonObject::parse(body);
  if (!object) {
    const auto first = body.find_first_not_of(" \t\r\n");
    if (first == std::string::npos || body[first] != '{') {
      return sdk::fail(sdk::ErrorCode::invalid, "the body must be a JSON object");
    }
    return sdk::fail(sdk::ErrorCode::invalid,
                     "the body is not valid JSON (one object, each member named once)");
  }
  Fields out;
  for (const auto& member : object->members()) {
    if (member.kind == util::JsonMember::Kind::null) continue;
    out.emplace(member.name, member.value);
  }
  return out;
}

sdk::Result<Fields> parse_form_fields(const std::string& body) {
  Fields out;
  std::size_t start = 0, count = 0;
  while (start <= body.size() && !body.empty()) {
    auto end = body.find('&', start);
    std::string pair =
        body.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? body.size() + 1 : end + 1;
    if (pair.empty()) continue;
    if (++count > 32) {
      return sdk::fail(sdk::ErrorCode::invalid, "too many form fields");
    }
    auto eq = pair.find('=');
    try {
      std::string key = url_decode(pair.substr(0, eq));
      std::string value = eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
      out[key] = value;
    } catch (const Poco::Exception&) {
      return sdk::fail(sdk::ErrorCode::invalid, "the form is not properly encoded");
    }
  }
  return out;
}

}  // namespace linkgate::http
