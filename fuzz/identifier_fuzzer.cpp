// parse_identifier: never crashes, and what it accepts is normalised (parsing it again gives the
// same identifier) and free of control characters.
#include <cstdlib>
#include <string_view>

#include "identity/identifier.h"

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = linkgate::identity::parse_identifier(input);
  if (!parsed.ok()) {
    if (parsed.error().message.empty()) std::abort();  // a refusal always says why
    return 0;
  }
  const std::string& value = parsed->value;
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) std::abort();
  }
  auto again = linkgate::identity::parse_identifier(value);
  if (!again.ok() || again->value != value || again->kind != parsed->kind) {
    std::abort();
  }
  (void)linkgate::identity::mask(parsed.value());
  return 0;
}
