#pragma once
// Where a sign-in message goes. What is available is decided from the request alone — the typed
// identifier's kind and the channel asked for — never from whether the identifier is a user, so
// the answer cannot tell an attacker who has an account.

#include <optional>
#include <string>

#include "flow/outcome.h"
#include "linkgate/sdk/types.h"
#include "outbox/delivery_routes.h"

namespace linkgate::flow {

/// The `channel` field: empty (the identifier's own kind), "email" or "sms".
Outcome<std::optional<sdk::AddressKind>> parse_channel(const std::string& channel);

/// Refuses (channel_unavailable) a request whose typed identifier or asked-for channel no
/// delivery route carries: both must be deliverable, since which one is used depends on the
/// user, whom the answer must not reveal.
std::optional<Problem> check_deliverable(const outbox::DeliveryRoutes& routes,
                                         sdk::AddressKind typed,
                                         std::optional<sdk::AddressKind> asked);

/// The address the message goes to: the user's address of the asked-for kind when there is one,
/// else the identifier typed. @p user is empty for identifiers that are no user.
sdk::Identifier choose_address(const sdk::Identifier& typed, std::optional<sdk::AddressKind> asked,
                               const sdk::User& user);

/// Whether the request could end in a text message (and so is charged to the SMS budget):
/// decided before the user is looked up, so known and unknown identifiers are charged alike.
bool may_text(sdk::AddressKind typed, std::optional<sdk::AddressKind> asked);

}  // namespace linkgate::flow
