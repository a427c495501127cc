#pragma once
// Small crypto primitives over OpenSSL: the core's only direct use of libcrypto for them.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace linkgate::util {

/// @p count bytes from OpenSSL's CSPRNG; aborts if it fails (weak randomness is worse).
std::string random_bytes(std::size_t count);
/// Raw 32-byte SHA-256 of @p data.
std::string sha256(std::string_view data);
/// Raw 32-byte HMAC-SHA-256 of @p data under @p key.
std::string hmac_sha256(std::string_view key, std::string_view data);

/// HMAC-SHA-256 under one key, for a key that signs many messages: its two padded key blocks
/// are hashed once, here, instead of on every call (half of a short message's hashing).
/// Copies share the hashed blocks, which are wiped when the last copy goes.
class HmacSha256Key {
 public:
  explicit HmacSha256Key(std::string_view key);
  /// Raw 32-byte HMAC-SHA-256 of @p data; the same as hmac_sha256(key, data). Thread-safe.
  [[nodiscard]] std::string mac(std::string_view data) const;

 private:
  struct Pads;
  std::shared_ptr<const Pads> pads_;
};

/// Compares two byte strings in time that depends only on their lengths.
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;
/// A uniformly random decimal string of @p digits digits (rejection sampling, no modulo bias).
std::string random_digits(std::size_t digits);
/// Lower-case hex of @p bytes.
std::string to_hex(std::string_view bytes);

}  // namespace linkgate::util
