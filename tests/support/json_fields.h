#pragma once
// Reading JSON answers in HTTP tests.

#include <Poco/JSON/Parser.h>

#include <string>

namespace linkgate::testing {

inline Poco::JSON::Object::Ptr json(const std::string& body) {
  return Poco::JSON::Parser().parse(body).extract<Poco::JSON::Object::Ptr>();
}
/// A string member of a JSON object ("" when absent).
inline std::string field(const std::string& body, const std::string& name) {
  auto o = json(body);
  return o->has(name) ? o->getValue<std::string>(name) : "";
}
/// The body of POST /v1/magic-links for @p who.
inline std::string start_body(const std::string& who) {
  return "{\"identifier\":\"" + who + "\"}";
}

}  // namespace linkgate::testing
