#include "identity/identifier.h"

#include <algorithm>
#include <cctype>

namespace linkgate::identity {
namespace {

bool is_atext(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+/=?^_`{|}~-").find(c) != std::string_view::npos;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string check_local_part(std::string_view local) {
  if (local.empty()) return "the part before @ is empty";
  if (local.size() > 64) return "the part before @ is longer than 64 characters";
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return "dots in the wrong place before @";
  }
  for (char c : local) {
    if (c != '.' && !is_atext(c)) return "a character that is not allowed before @";
  }
  return "";
}

std::string check_domain(std::string_view domain) {
  if (domain.empty() || domain.size() > 253) return "the domain is empty or too long";
  if (domain.find('.') == std::string_view::npos) return "the domain needs a dot";
  std::size_t start = 0;
  while (start <= domain.size()) {
    auto end = domain.find('.', start);
    if (end == std::string_view::npos) end = domain.size();
    auto label = domain.substr(start, end - start);
    if (label.empty() || label.size() > 63) return "an empty or too long part in the domain";
    if (label.front() == '-' || label.back() == '-') return "a domain part starts or ends with -";
    for (char c : label) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-') {
        return "a character that is not allowed in the domain";
      }
    }
    start = end + 1;
  }
  auto tld = domain.substr(domain.rfind('.') + 1);
  bool all_digits =
      std::all_of(tld.begin(), tld.end(), [](unsigned char c) { return std::isdigit(c); });
  if (all_digits) return "the domain must be a name, not an address";
  return "";
}

}  // namespace

sdk::Result<sdk::Identifier> parse_identifier(std::string_view input) {
  const auto refused = [](std::string why) {
    return sdk::fail(sdk::ErrorCode::invalid, std::move(why));
  };
  if (input.size() > 320) return refused("too long");
  for (unsigned char c : input) {
    if (c < 0x20 || c == 0x7f) return refused("contains a control character");
    if (c >= 0x80) return refused("only ASCII addresses are accepted");
  }
  auto first = input.find_first_not_of(' ');
  auto last = input.find_last_not_of(' ');
  if (first == std::string_view::npos) return refused("empty");
  std::string_view text = input.substr(first, last - first + 1);

  if (text.front() == '+') {
    std::string digits = "+";
    for (char c : text.substr(1)) {
      if (std::isdigit(static_cast<unsigned char>(c))) {
        digits.push_back(c);
      } else if (std::string_view(" .-()").find(c) == std::string_view::npos) {
        return refused("not an E.164 phone number (+ and digits)");
      }
    }
    if (digits.size() < 8 || digits.size() > 16 || digits[1] == '0') {
      return refused("not an E.164 phone number (+, country code, 7 to 15 digits)");
    }
    return sdk::Identifier{sdk::AddressKind::phone, digits};
  }

  auto at = text.rfind('@');
  if (at == std::string_view::npos) return refused("neither an e-mail address nor a +phone number");
  if (auto problem = check_local_part(text.substr(0, at)); !problem.empty())
    return refused(problem);
  if (auto problem = check_domain(text.substr(at + 1)); !problem.empty()) return refused(problem);
  return sdk::Identifier{sdk::AddressKind::email, lower(text)};
}

std::string mask(const sdk::Identifier& identifier) {
  const std::string& v = identifier.value;
  if (identifier.kind == sdk::AddressKind::phone) {
    if (v.size() < 7) return "+***";
    return v.substr(0, 5) + "***" + v.substr(v.size() - 2);
  }
  auto at = v.rfind('@');
  if (at == std::string::npos || at == 0) return "***";
  return v.substr(0, 1) + "***" + v.substr(at);
}

}  // namespace linkgate::identity
