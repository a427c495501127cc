#include "hmac_token.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

namespace hmac_token {
namespace {

using linkgate::sdk::ErrorCode;
using linkgate::sdk::fail;

constexpr char kSeparator = '\x1f';  // never in a normalised identifier, URL or id
constexpr std::size_t kMaxToken = 4096;
constexpr const char* kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view bytes) {
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : bytes) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) out += kAlphabet[(buffer >> (bits -= 6)) & 63];
  }
  if (bits > 0) out += kAlphabet[(buffer << (6 - bits)) & 63];
  return out;
}

bool unbase64url(std::string_view text, std::string& out) {
  std::uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    const char* at = std::char_traits<char>::find(kAlphabet, 64, c);
    if (at == nullptr) return false;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(at - kAlphabet);
    bits += 6;
    if (bits >= 8) out += static_cast<char>((buffer >> (bits -= 8)) & 0xff);
  }
  return (buffer & ((1u << bits) - 1)) == 0;  // spare bits must be zero: one spelling per token
}

std::string mac(const std::string& key, std::string_view payload) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), digest, &length);
  return std::string(reinterpret_cast<char*>(digest), length);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> parts;
  std::stringstream in(s);
  for (std::string part; std::getline(in, part, kSeparator);) parts.push_back(part);
  if (!s.empty() && s.back() == kSeparator) parts.emplace_back();
  return parts;
}

}  // namespace

std::string load_or_make_key(const std::string& file, linkgate::sdk::Random& random) {
  std::ifstream in(file, std::ios::binary);
  if (in) {
    std::string key((std::istreambuf_iterator<char>(in)), {});
    if (key.size() < 32) throw std::runtime_error(file + ": a key needs at least 32 bytes");
    return key;
  }
  const std::string key = random.bytes(32);
  const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0 || ::write(fd, key.data(), key.size()) != static_cast<ssize_t>(key.size())) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot create " + file);
  }
  ::close(fd);
  return key;
}

HmacTokenStrategy::HmacTokenStrategy(std::string key, linkgate::sdk::HostServices& host)
    : key_(std::move(key)), host_(host) {}

linkgate::sdk::Result<linkgate::sdk::IssuedToken> HmacTokenStrategy::issue(
    const linkgate::sdk::LinkGrant& g) {
  const std::string id = base64url(host_.random().bytes(16));
  const std::string payload = id + kSeparator + g.flow_id + kSeparator + g.subject + kSeparator +
                              linkgate::sdk::to_string(g.identifier.kind) + kSeparator +
                              g.identifier.value + kSeparator + g.redirect_uri + kSeparator +
                              std::to_string(g.issued_at) + kSeparator +
                              std::to_string(g.expires_at);
  return linkgate::sdk::IssuedToken{base64url(payload) + "." + base64url(mac(key_, payload))};
}

linkgate::sdk::Result<HmacTokenStrategy::Checked> HmacTokenStrategy::check(std::string_view token) {
  const auto dot = token.find('.');
  if (token.size() > kMaxToken || dot == std::string_view::npos)
    return fail(ErrorCode::invalid, "not a token");
  std::string payload, signature;
  if (!unbase64url(token.substr(0, dot), payload) || !unbase64url(token.substr(dot + 1), signature))
    return fail(ErrorCode::invalid, "not base64url");
  const std::string expected = mac(key_, payload);
  if (signature.size() != expected.size() ||
      CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return fail(ErrorCode::invalid, "bad signature");
  }
  const auto parts = split(payload);
  if (parts.size() != 8) return fail(ErrorCode::invalid, "malformed payload");
  Checked c;
  c.token_id = parts[0];
  c.grant.flow_id = parts[1];
  c.grant.subject = parts[2];
  c.grant.identifier.kind =
      parts[3] == "phone" ? linkgate::sdk::AddressKind::phone : linkgate::sdk::AddressKind::email;
  c.grant.identifier.value = parts[4];
  c.grant.redirect_uri = parts[5];
  try {
    c.grant.issued_at = std::stoll(parts[6]);
    c.grant.expires_at = std::stoll(parts[7]);
  } catch (const std::exception&) {
    return fail(ErrorCode::invalid, "malformed times");
  }
  if (host_.clock().now_seconds() >= c.grant.expires_at) return fail(ErrorCode::expired, "expired");
  return c;
}

linkgate::sdk::Result<linkgate::sdk::LinkGrant> HmacTokenStrategy::inspect(std::string_view token) {
  auto checked = check(token);
  if (!checked.ok()) return checked.error();
  auto seen = host_.expiring_keys().contains("hmac-token:" + checked->token_id);
  if (!seen.ok()) return seen.error();
  if (seen.value()) return fail(ErrorCode::used, "already used");
  return checked->grant;
}

linkgate::sdk::Result<linkgate::sdk::LinkGrant> HmacTokenStrategy::inspect_for_redeem(
    std::string_view token) {
  // redeem() follows and its insert decides single use: no look-up of the record here.
  auto checked = check(token);
  if (!checked.ok()) return checked.error();
  return checked->grant;
}

linkgate::sdk::Result<linkgate::sdk::LinkGrant> HmacTokenStrategy::redeem(std::string_view token) {
  auto checked = check(token);
  if (!checked.ok()) return checked.error();
  auto first = host_.expiring_keys().insert_if_absent("hmac-token:" + checked->token_id,
                                                      checked->grant.expires_at + 60);
  if (!first.ok()) return first.error();
  if (!first.value()) return fail(ErrorCode::used, "already used");
  return checked->grant;
}

linkgate::sdk::Result<void> HmacTokenStrategy::revoke_subject(std::string_view) {
  return fail(ErrorCode::unsupported, "stateless tokens cannot be revoked one by one");
}

linkgate::sdk::Result<void> HmacTokenStrategy::ready() {
  return linkgate::sdk::success();
}

}  // namespace hmac_token
