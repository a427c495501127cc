#include "session/session_tokens.h"

#include <cctype>
#include <optional>
#include <string_view>

#include "util/base64url.h"
#include "util/es256.h"
#include "util/flat_json.h"
#include "util/json_escape.h"

namespace linkgate::session {
namespace {

constexpr const char* kRevokedPrefix = "session-revoked:";
constexpr std::int64_t kLeeway = 5;

std::string text_claim(const util::FlatJsonObject& o, std::string_view name) {
  const std::string* text = o.string(name);
  return text != nullptr ? *text : "";
}

constexpr std::string_view kOurHeaderStart = R"({"alg":"ES256","typ":"JWT","kid":")";
constexpr std::string_view kOurHeaderEnd = R"("})";

// The key id of a header exactly as issue() writes it, without a JSON parser: a thumbprint is
// base64url, so nothing in it needs escaping. Anything else goes through the parser.
std::optional<std::string> kid_of_our_header(std::string_view header) {
  if (header.size() <= kOurHeaderStart.size() + kOurHeaderEnd.size() ||
      header.substr(0, kOurHeaderStart.size()) != kOurHeaderStart ||
      header.substr(header.size() - kOurHeaderEnd.size()) != kOurHeaderEnd) {
    return std::nullopt;
  }
  const auto kid = header.substr(kOurHeaderStart.size(),
                                 header.size() - kOurHeaderStart.size() - kOurHeaderEnd.size());
  for (char c : kid) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return std::nullopt;
  }
  return std::string(kid);
}

}  // namespace

SessionTokens::SessionTokens(SigningKeys& keys, std::string issuer, std::string audience,
                             std::chrono::milliseconds ttl, sdk::HostServices& services)
    : keys_(keys),
      issuer_(std::move(issuer)),
      audience_(std::move(audience)),
      ttl_(ttl),
      services_(services) {}

sdk::Result<IssuedSession> SessionTokens::issue(const sdk::User& user) try {
  auto key = keys_.current();
  const std::int64_t now = services_.clock().now_seconds();
  const std::int64_t exp = now + ttl_seconds();
  const std::string header =
      std::string(kOurHeaderStart) + util::json_escape(key->kid) + std::string(kOurHeaderEnd);
  std::string p = R"({"iss":")" + util::json_escape(issuer_) + R"(","sub":")" +
                  util::json_escape(user.id) + R"(","aud":")" + util::json_escape(audience_) +
                  R"(","iat":)" + std::to_string(now) + R"(,"exp":)" + std::to_string(exp) +
                  R"(,"jti":")" + jti_.next() + "\"";
  if (!user.email.empty()) p += R"(,"email":")" + util::json_escape(user.email) + "\"";
  if (!user.phone.empty()) p += R"(,"phone_number":")" + util::json_escape(user.phone) + "\"";
  p += '}';
  return IssuedSession{util::es256_jws(*key->es256, header, p), exp};
} catch (const std::exception& e) {
  // Signing can fail only when a key file went bad under us, or out of memory.
  return sdk::fail(sdk::ErrorCode::unavailable, std::string("signing: ") + e.what());
}

sdk::Result<SessionClaims> SessionTokens::verify(const std::string& token) {
  if (token.empty() || token.size() > 4096) return sdk::fail(sdk::ErrorCode::invalid, "no token");
  auto dot = token.find('.');
  if (dot == std::string::npos) return sdk::fail(sdk::ErrorCode::invalid, "not a JWT");
  auto header_json = util::base64url_decode(std::string_view(token).substr(0, dot));
  if (!header_json) return sdk::fail(sdk::ErrorCode::invalid, "bad header");
  std::string kid;
  if (auto ours = kid_of_our_header(*header_json)) {
    kid = std::move(*ours);
  } else {
    auto header = util::FlatJsonObject::parse(*header_json);
    if (!header) return sdk::fail(sdk::ErrorCode::invalid, "bad header");
    if (text_claim(*header, "alg") != "ES256")
      return sdk::fail(sdk::ErrorCode::invalid, "algorithm not ES256");
    kid = text_claim(*header, "kid");
  }
  auto key = keys_.find(kid);
  if (!key) return sdk::fail(sdk::ErrorCode::invalid, "unknown key id");
  auto last_dot = token.rfind('.');
  if (last_dot == dot) return sdk::fail(sdk::ErrorCode::invalid, "not a JWT");
  auto signature = util::base64url_decode(std::string_view(token).substr(last_dot + 1));
  if (!signature || signature->size() != 64)
    return sdk::fail(sdk::ErrorCode::invalid, "bad signature size");
  if (!key->es256->verify(std::string_view(token).substr(0, last_dot), *signature)) {
    return sdk::fail(sdk::ErrorCode::invalid, "bad signature");
  }
  auto payload_json =
      util::base64url_decode(std::string_view(token).substr(dot + 1, last_dot - dot - 1));
  if (!payload_json) return sdk::fail(sdk::ErrorCode::invalid, "bad payload");
  const auto payload = util::FlatJsonObject::parse(*payload_json);
  if (!payload) return sdk::fail(sdk::ErrorCode::invalid, "malformed token");
  const auto& p = *payload;
  SessionClaims c;
  c.sub = text_claim(p, "sub");
  c.jti = text_claim(p, "jti");
  c.email = text_claim(p, "email");
  c.phone = text_claim(p, "phone_number");
  const auto iat = p.integer("iat");
  const auto exp = p.integer("exp");
  if (!iat || !exp) return sdk::fail(sdk::ErrorCode::invalid, "missing times");
  c.iat = *iat;
  c.exp = *exp;
  if (text_claim(p, "iss") != issuer_ || text_claim(p, "aud") != audience_ || c.sub.empty() ||
      c.jti.empty()) {
    return sdk::fail(sdk::ErrorCode::invalid, "wrong issuer, audience or subject");
  }
  const std::int64_t now = services_.clock().now_seconds();
  if (now >= c.exp + kLeeway) return sdk::fail(sdk::ErrorCode::expired, "expired");
  if (c.iat > now + kLeeway) return sdk::fail(sdk::ErrorCode::invalid, "issued in the future");
  const std::uint64_t counter = watch_ ? watch_->counter() : 0;  // before the store is read
  if (watch_ && watch_->known_not_revoked(c.jti, counter)) return c;
  auto revoked = services_.expiring_keys().contains(kRevokedPrefix + c.jti);
  if (!revoked.ok()) return revoked.error();
  if (revoked.value()) return sdk::fail(sdk::ErrorCode::used, "revoked");
  if (watch_) watch_->remember_not_revoked(c.jti, counter);
  return c;
}

sdk::Result<void> SessionTokens::revoke(const SessionClaims& claims) {
  auto r =
      services_.expiring_keys().insert_if_absent(kRevokedPrefix + claims.jti, claims.exp + kLeeway);
  if (!r.ok()) return r.error();
  if (watch_) watch_->revoked();  // committed: now every instance's remembered answers end
  return sdk::success();
}

}  // namespace linkgate::session
