#pragma once
// Most of an ECDSA signature does not depend on the message: a random nonce k, the point k*G,
// r (its x mod n) and k^-1. Computed one signature at a time, each costs two inversions (of k,
// and of k*G's projective Z to find x), two fifths of a P-256 signature's instructions. Computed
// sixteen at a time they share both (Montgomery's trick: one inversion and three multiplications
// each), and a signature costs a little over half of what it did. What is computed ahead is kept in
// a page that the kernel wipes in a forked child (MADV_WIPEONFORK) and leaves out of core dumps: a
// nonce used for two messages gives the private key away, so no presignature may be used twice, not
// even by a copy of the process.

#include <openssl/bn.h>
#include <openssl/ec.h>

#include <cstddef>
#include <mutex>

namespace linkgate::util {

/// What a signature of one message needs beyond its digest and the private key: k^-1 and r,
/// 32 bytes each, big-endian. Secret (k^-1 with the signature gives the key away): wipe it
/// (OPENSSL_cleanse) once used.
struct Presignature {
  unsigned char k_inverse[32];
  unsigned char r[32];
};

class EcdsaPresignatures {
 public:
  /// For P-256 @p group (not owned; it must outlive this object). Throws std::runtime_error when
  /// the kernel cannot wipe memory in a forked child (before Linux 4.14) or OpenSSL fails: the
  /// caller then signs without presignatures.
  explicit EcdsaPresignatures(const EC_GROUP* group);
  /// Wipes what is left.
  ~EcdsaPresignatures();
  EcdsaPresignatures(const EcdsaPresignatures&) = delete;
  EcdsaPresignatures& operator=(const EcdsaPresignatures&) = delete;

  /// Writes a presignature into @p out that no one was given before, in this process or any
  /// process forked from it; computes a batch when none is left (the one call that does costs
  /// about a dozen signatures). Thread-safe. Throws std::runtime_error if OpenSSL fails.
  void take(Presignature& out);

  /// How many a batch computes.
  static constexpr std::size_t kBatch = 16;

 private:
  void compute(Presignature* out, std::size_t count) const;

  const EC_GROUP* group_;
  BN_MONT_CTX* order_mont_ = nullptr;  // read-only once set up, shared by every thread
  BIGNUM* order_minus_2_ = nullptr;
  std::mutex mutex_;
  // One page the kernel gives a forked child as zeros: a count, then the presignatures.
  void* page_ = nullptr;
  std::size_t* count_ = nullptr;
  Presignature* slots_ = nullptr;
  std::size_t capacity_ = 0;
};

}  // namespace linkgate::util
