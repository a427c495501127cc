#include "http/json_text.h"

#include <sstream>

namespace linkgate::http {

std::string json_text(const Poco::JSON::Object& object) {
  std::ostringstream out;
  object.stringify(out);
  return out.str();
}

}  // namespace linkgate::http
