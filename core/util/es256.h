#pragma once
// ES256 (ECDSA over P-256 with SHA-256) straight to OpenSSL's arithmetic, with the key parsed
// once: no per-call engine set-up, JSON round trips or stream base64 as with Poco's JWT. A
// signature takes the message-independent half of its work from a batch computed ahead
// (util/ecdsa_presignatures); verification uses that the server verifies only its own
// signatures, with the private key at hand (see verify()).

#include <memory>
#include <string>
#include <string_view>

namespace linkgate::util {

class Es256Key {
 public:
  /// Where a signature's nonce comes from.
  enum class Nonces {
    /// From a batch computed ahead (util/ecdsa_presignatures), where the kernel can keep the
    /// batch from a forked child; else as each_at_signing.
    presigned_when_possible,
    /// Drawn by OpenSSL's EVP signing, one per signature: about twice the cost (44.6 against
    /// 23.5 µs a signature, build/token_bench, 2026-12-02; docs/performance.md).
    each_at_signing,
  };

  /// Parses a PEM private key on P-256 (as `openssl ecparam -genkey` or Poco's ECKey write it)
  /// and checks that its public point is its private scalar's. Throws std::runtime_error naming
  /// what is wrong, never the key.
  static Es256Key from_private_pem(const std::string& pem,
                                   Nonces nonces = Nonces::presigned_when_possible);

  /// The signature of @p data as JWS wants it: r and s, 32 bytes each, big-endian (64 bytes).
  /// Thread-safe. Throws std::runtime_error if OpenSSL fails.
  [[nodiscard]] std::string sign(std::string_view data) const;
  /// True when @p signature (64 bytes r||s) is this key's signature of @p data: exactly what
  /// ECDSA verification with the public key says, computed as one constant-time multiple of the
  /// generator through the private key (a fifth of the cost). Thread-safe; never throws.
  [[nodiscard]] bool verify(std::string_view data, std::string_view signature) const noexcept;
  /// The public key as PEM (SubjectPublicKeyInfo).
  [[nodiscard]] std::string public_pem() const;

 private:
  struct Impl;
  explicit Es256Key(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

/// `base64url(header).base64url(payload).base64url(signature)` with @p key (ES256 compact JWS).
/// @p header_json and @p payload_json are used as given.
std::string es256_jws(const Es256Key& key, std::string_view header_json,
                      std::string_view payload_json);

}  // namespace linkgate::util
