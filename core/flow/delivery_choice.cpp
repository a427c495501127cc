#include "flow/delivery_choice.h"

namespace linkgate::flow {

Outcome<std::optional<sdk::AddressKind>> parse_channel(const std::string& channel) {
  if (channel.empty()) return std::optional<sdk::AddressKind>{};
  if (channel == "email") return std::optional{sdk::AddressKind::email};
  if (channel == "sms") return std::optional{sdk::AddressKind::phone};
  return problem(Failure::invalid_request, "channel: expected email or sms");
}

std::optional<Problem> check_deliverable(const outbox::DeliveryRoutes& routes,
                                         sdk::AddressKind typed,
                                         std::optional<sdk::AddressKind> asked) {
  for (auto kind : {asked.value_or(typed), typed}) {
    if (!outbox::route_for(routes, kind)) {
      return problem(Failure::channel_unavailable,
                     kind == sdk::AddressKind::email ? "e-mail" : "phone");
    }
  }
  return std::nullopt;
}

sdk::Identifier choose_address(const sdk::Identifier& typed, std::optional<sdk::AddressKind> asked,
                               const sdk::User& user) {
  if (asked == sdk::AddressKind::phone && !user.phone.empty())
    return {sdk::AddressKind::phone, user.phone};
  if (asked == sdk::AddressKind::email && !user.email.empty())
    return {sdk::AddressKind::email, user.email};
  return typed;
}

bool may_text(sdk::AddressKind typed, std::optional<sdk::AddressKind> asked) {
  return typed == sdk::AddressKind::phone || asked == sdk::AddressKind::phone;
}

}  // namespace linkgate::flow
