#include "flow/mustache_values.h"

#include <string>

namespace linkgate::flow {

kainjow::mustache::data mustache_values(const MessageValues& values) {
  kainjow::mustache::data d;
  d.set("link", values.link);
  d.set("code", values.code);
  d.set("minutes", std::to_string(values.minutes));
  d.set("app_name", values.app_name);
  d.set("title", values.title);
  d.set("domain", values.domain);
  return d;
}

}  // namespace linkgate::flow
