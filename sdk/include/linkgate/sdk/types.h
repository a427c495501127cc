#pragma once
/// @file
/// Plain structs that cross the plugin boundary.

#include <cstdint>
#include <string>
#include <vector>

namespace linkgate::sdk {

/// What kind of address an identifier is. Values are part of the ABI: append only.
enum class AddressKind { email = 0, phone = 1 };

/// Returns "email" or "phone" (the words used by `delivery[].for` in the config).
constexpr const char* to_string(AddressKind kind) noexcept {
  return kind == AddressKind::email ? "email" : "phone";
}

/// A validated, normalised identifier: a lower-cased e-mail address or an E.164 phone number.
/// The host normalises before any plugin sees it, so stores can compare byte-wise.
struct Identifier {
  AddressKind kind = AddressKind::email;
  std::string value;
};

/// A user as a user store knows it. Empty strings mean "none".
struct User {
  std::string id;         ///< Stable, opaque, unique; becomes the session's `sub`.
  std::string email;      ///< Normalised, or empty.
  std::string phone;      ///< E.164, or empty.
  std::string locale;     ///< Preferred language tag (`en`, `de`), or empty.
  bool disabled = false;  ///< Refused sign-in by an operator (`linkgate users disable`).
};

/// One page of UserStore::list().
struct UserPage {
  std::vector<User> users;  ///< Ordered by id.
  std::string next_after;   ///< Pass as `after` for the next page; empty after the last one.
};

/// What a link token stands for. The token strategy binds all of it into (or next to) the token
/// and hands it back unchanged on redeem.
struct LinkGrant {
  std::string flow_id;          ///< The sign-in flow this link belongs to (opaque, unique).
  std::string subject;          ///< User id, or empty when the user is created on redeem (sign-up).
  Identifier identifier;        ///< Who asked.
  std::string redirect_uri;     ///< Validated by the host; may be empty.
  std::int64_t issued_at = 0;   ///< Unix seconds.
  std::int64_t expires_at = 0;  ///< Unix seconds; the token is refused from this second on.
};

/// A freshly issued link token. The token is a secret: never log it.
struct IssuedToken {
  std::string token;  ///< URL-safe; at least 128 bits of entropy or an unforgeable signature.
  std::int64_t expires_at = 0;
};

/// One message for a delivery channel, rendered by the host from the templates.
/// `link` and `code` are secrets: never log them (the development `outbox` channel excepted).
struct Message {
  std::string id;  ///< The outbox id; the same on every retry of this message.
  AddressKind kind = AddressKind::email;
  std::string to;       ///< Validated address; contains no CR or LF.
  std::string subject;  ///< E-mail only.
  std::string text;     ///< Plain text body (the whole SMS for phones).
  std::string html;     ///< E-mail only; may be empty.
  std::string link;     ///< The sign-in link inside text/html, for channels that need it.
  std::string code;     ///< The one-time code inside text/html.
  std::string locale;   ///< The language the message was rendered in.
  int attempt = 1;      ///< 1 on the first try, 2 on the first retry, ...
};

}  // namespace linkgate::sdk
