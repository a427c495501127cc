#pragma once
// JSON response bodies, written by Poco::JSON: never by pasting strings together.

#include <Poco/JSON/Object.h>

#include <string>

namespace linkgate::http {

/// An empty object that keeps its keys in the order they are set.
inline Poco::JSON::Object json_object() {
  return Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

/// @p object as compact JSON text.
std::string json_text(const Poco::JSON::Object& object);

}  // namespace linkgate::http
