// The request body parsers (JSON objects of strings, and forms): never crash, and every field
// they return is a name and a value (a refusal always says why).
#include <cstdlib>
#include <string>

#include "http/body_fields.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  for (bool json : {true, false}) {
    auto fields =
        json ? linkgate::http::parse_json_fields(body) : linkgate::http::parse_form_fields(body);
    if (!fields.ok() && fields.error().message.empty()) std::abort();
    if (fields.ok() && fields->size() > body.size()) std::abort();
  }
  return 0;
}
