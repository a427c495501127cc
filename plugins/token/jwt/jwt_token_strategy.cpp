#include "jwt_token_strategy.h"

#include <Poco/Crypto/ECKeyImpl.h>
#include <openssl/objects.h>

#include <sstream>
#include <stdexcept>

#include "util/base64url.h"
#include "util/crypto.h"
#include "util/files.h"
#include "util/flat_json.h"
#include "util/json_escape.h"

namespace linkgate::plugins::jwt {
namespace {

constexpr const char* kReplayPrefix = "jwt-jti:";

std::string claim_string(const util::FlatJsonObject& claims, std::string_view name) {
  const std::string* text = claims.string(name);
  return text != nullptr ? *text : "";
}

std::int64_t claim_int(const util::FlatJsonObject& claims, std::string_view name, bool& ok) {
  const auto value = claims.integer(name);
  if (!value) ok = false;
  return value.value_or(0);
}

}  // namespace

std::string curve_for(const std::string& algorithm) {
  // ES384/ES512 are not offered: Poco 1.11 pads R and S to 32 bytes only, so about one P-384
  // signature in 128 comes out short and is refused by every other JWT library.
  if (algorithm == "ES256") return "prime256v1";
  return "";
}

JwtTokenStrategy::JwtTokenStrategy(JwtSettings settings, sdk::HostServices& host)
    : settings_(std::move(settings)), host_(host) {
  const std::string curve = curve_for(settings_.algorithm);
  if (curve.empty()) throw std::runtime_error("algorithm must be ES256");

  std::ostringstream fresh_private;
  Poco::Crypto::ECKey(curve).save(nullptr, &fresh_private);
  std::string error;
  auto pem = util::create_or_read_secret(settings_.key_file, fresh_private.str(), error);
  if (!pem) throw std::runtime_error(error);
  std::istringstream private_stream(*pem);
  try {
    key_ = new Poco::Crypto::ECKey(nullptr, &private_stream);
  } catch (const Poco::Exception& e) {
    throw std::runtime_error("cannot load the key in " + settings_.key_file + ": " +
                             e.displayText());
  }
  if (key_->impl()->groupId() != OBJ_sn2nid(curve.c_str())) {
    throw std::runtime_error("the key in " + settings_.key_file + " is on curve " +
                             key_->impl()->groupName() + ", but " + settings_.algorithm +
                             " needs " + curve);
  }
  std::ostringstream public_pem;
  key_->save(&public_pem);
  key_id_ = util::base64url_encode(util::sha256(public_pem.str()).substr(0, 12));
  try {
    es256_ = util::Es256Key::from_private_pem(*pem);
  } catch (const std::runtime_error& e) {
    throw std::runtime_error("the key in " + settings_.key_file + ": " + e.what());
  }
  header_json_ = R"({"alg":")" + settings_.algorithm + R"(","typ":"JWT","kid":")" + key_id_ + "\"}";
}

sdk::Result<sdk::IssuedToken> JwtTokenStrategy::issue(const sdk::LinkGrant& grant) {
  // The claims written straight into their JSON: one string, no JSON object to build and
  // serialise per token.
  std::string payload;
  payload.reserve(256 + grant.redirect_uri.size());
  auto text = [&payload](const char* name, std::string_view value) {
    payload += payload.empty() ? "{\"" : ",\"";
    payload += name;
    payload += "\":\"";
    payload += util::json_escape(value);
    payload += '"';
  };
  auto number = [&payload](const char* name, std::int64_t value) {
    payload += ",\"";
    payload += name;
    payload += "\":";
    payload += std::to_string(value);
  };
  text("aud", settings_.audience);
  text("jti", jti_.next());
  number("iat", grant.issued_at);
  number("exp", grant.expires_at);
  text("flw", grant.flow_id);
  if (!grant.subject.empty()) text("sub", grant.subject);
  text(grant.identifier.kind == sdk::AddressKind::email ? "eml" : "tel", grant.identifier.value);
  if (!grant.redirect_uri.empty()) text("rdr", grant.redirect_uri);
  payload += '}';
  try {
    return sdk::IssuedToken{util::es256_jws(*es256_, header_json_, payload), grant.expires_at};
  } catch (const std::runtime_error& e) {
    return sdk::fail(sdk::ErrorCode::internal, std::string("signing failed: ") + e.what());
  }
}

sdk::Result<JwtTokenStrategy::Verified> JwtTokenStrategy::verify(std::string_view token) const {
  // Structure first: three base64url parts and a signature of the pinned algorithm's size.
  if (token.size() > 4096) return sdk::fail(sdk::ErrorCode::invalid, "token too long");
  auto dot1 = token.find('.');
  auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return sdk::fail(sdk::ErrorCode::invalid, "not a JWT");
  }
  auto header = util::base64url_decode(token.substr(0, dot1));
  auto payload = util::base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  auto signature = util::base64url_decode(token.substr(dot2 + 1));
  if (!header || !payload || !signature) return sdk::fail(sdk::ErrorCode::invalid, "bad encoding");
  if (signature->size() != signature_bytes_)
    return sdk::fail(sdk::ErrorCode::invalid, "bad signature size");

  // The signature first, with the pinned algorithm and key: nothing an attacker wrote is parsed
  // before it is known to be ours. (`alg: none` or HS256 tokens fail here too.)
  if (!verified_.holds(token)) {
    if (!es256_->verify(token.substr(0, dot2), *signature)) {
      return sdk::fail(sdk::ErrorCode::invalid, "bad signature");
    }
    verified_.remember(token);
  }
  const auto h = util::FlatJsonObject::parse(*header);
  const auto payload_object = util::FlatJsonObject::parse(*payload);
  if (!h || !payload_object) return sdk::fail(sdk::ErrorCode::invalid, "not flat JSON objects");
  if (claim_string(*h, "alg") != settings_.algorithm || claim_string(*h, "kid") != key_id_) {
    return sdk::fail(sdk::ErrorCode::invalid, "wrong algorithm or key id");
  }
  const auto& p = *payload_object;
  bool ok = true;
  Verified v;
  v.jti = claim_string(p, "jti");
  v.grant.issued_at = claim_int(p, "iat", ok);
  v.grant.expires_at = claim_int(p, "exp", ok);
  v.grant.flow_id = claim_string(p, "flw");
  v.grant.subject = claim_string(p, "sub");
  v.grant.redirect_uri = claim_string(p, "rdr");
  if (p.has("eml")) {
    v.grant.identifier = {sdk::AddressKind::email, claim_string(p, "eml")};
  } else {
    v.grant.identifier = {sdk::AddressKind::phone, claim_string(p, "tel")};
  }
  if (!ok || v.jti.empty() || v.grant.flow_id.empty() || v.grant.identifier.value.empty() ||
      claim_string(p, "aud") != settings_.audience) {
    return sdk::fail(sdk::ErrorCode::invalid, "missing or wrong claims");
  }
  const std::int64_t now = host_.clock().now_seconds();
  const std::int64_t leeway = settings_.leeway.count();
  if (v.grant.issued_at > now + leeway)
    return sdk::fail(sdk::ErrorCode::invalid, "issued in the future");
  if (now >= v.grant.expires_at + leeway) return sdk::fail(sdk::ErrorCode::expired, "expired");
  return v;
}

sdk::Result<sdk::LinkGrant> JwtTokenStrategy::inspect(std::string_view token) {
  auto v = verify(token);
  if (!v.ok()) return v.error();
  if (settings_.single_use) {
    auto seen = host_.expiring_keys().contains(kReplayPrefix + v->jti);
    if (!seen.ok()) return seen.error();
    if (seen.value()) return sdk::fail(sdk::ErrorCode::used, "already redeemed");
  }
  return v->grant;
}

sdk::Result<sdk::LinkGrant> JwtTokenStrategy::inspect_for_redeem(std::string_view token) {
  // The replay record is not read: redeem() inserts it with the flow's completion, and that
  // insert, not a look-up before it, is what keeps a link single use.
  auto v = verify(token);
  if (!v.ok()) return v.error();
  return v->grant;
}

sdk::Result<sdk::LinkGrant> JwtTokenStrategy::redeem(std::string_view token) {
  auto v = verify(token);
  if (!v.ok()) return v.error();
  if (settings_.single_use) {
    auto first = host_.expiring_keys().insert_if_absent(
        kReplayPrefix + v->jti, v->grant.expires_at + settings_.leeway.count());
    if (!first.ok()) return first.error();
    if (!first.value()) return sdk::fail(sdk::ErrorCode::used, "already redeemed");
  }
  return v->grant;
}

sdk::Result<void> JwtTokenStrategy::revoke_subject(std::string_view) {
  return sdk::fail(sdk::ErrorCode::unsupported, "stateless tokens are revoked through their flow");
}

sdk::Result<void> JwtTokenStrategy::ready() {
  if (!key_) return sdk::fail(sdk::ErrorCode::unavailable, "no signing key");
  return sdk::success();
}

}  // namespace linkgate::plugins::jwt
