#include "util/es256.h"

// ECDSA_do_sign_ex and EC_KEY are deprecated in OpenSSL 3 (no EVP call takes a caller's k^-1 and
// r), but they are OpenSSL's own constant-time arithmetic, which sign() and verify() below need.
#define OPENSSL_SUPPRESS_DEPRECATED

#include <gmp.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include <new>
#include <stdexcept>

#include "util/base64url.h"
#include "util/crypto.h"
#include "util/ecdsa_presignatures.h"
#include "util/openssl_handles.h"

namespace linkgate::util {
namespace {

using Sig = std::unique_ptr<ECDSA_SIG, FreedWith<ECDSA_SIG_free>>;

constexpr std::size_t kHalf = 32;

// @p value^-1 mod @p modulus (prime, above @p value, which is not zero), by GMP's extended
// Euclid: its time depends on the value, so for public values only.
Bn public_inverse(const unsigned char* value, const mpz_t modulus) {
  mpz_t v, inverse;
  mpz_inits(v, inverse, nullptr);
  mpz_import(v, kHalf, 1, 1, 1, 0, value);
  Bn out;
  if (mpz_invert(inverse, v, modulus) != 0) {
    unsigned char bytes[kHalf];
    std::size_t length = 0;
    mpz_export(bytes, &length, 1, 1, 1, 0, inverse);
    out.reset(BN_bin2bn(bytes, static_cast<int>(length), nullptr));
  }
  mpz_clears(v, inverse, nullptr);
  return out;
}

}  // namespace

struct Es256Key::Impl {
  EVP_PKEY* key = nullptr;
  // Set up once with the key; each call copies them instead of initialising from scratch
  // (OpenSSL 3 looks up providers and algorithms in every *Init).
  EVP_MD_CTX* sign_template = nullptr;
  EC_KEY* ec = nullptr;             // the same key, for ECDSA_do_sign_ex
  const EC_GROUP* group = nullptr;  // owned by ec
  const BIGNUM* order = nullptr;    // owned by group
  // The order for GMP, whose inversion of s (public) is a twentieth of OpenSSL's
  // BN_mod_inverse and half of a verify without it. Read-only once set, shared by every thread.
  mpz_t gmp_order;
  // Null where the kernel cannot keep them from a forked child: sign() then goes through EVP.
  std::unique_ptr<EcdsaPresignatures> presignatures;
  Impl() { mpz_init(gmp_order); }
  ~Impl() {
    presignatures.reset();
    mpz_clear(gmp_order);
    EVP_MD_CTX_free(sign_template);
    EC_KEY_free(ec);
    EVP_PKEY_free(key);
  }
};

Es256Key Es256Key::from_private_pem(const std::string& pem, Nonces nonces) {
  auto impl = std::make_shared<Impl>();
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (bio == nullptr) throw std::runtime_error("out of memory");
  impl->key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (impl->key == nullptr) throw std::runtime_error("not a PEM private key");
  char group[64] = {0};
  std::size_t length = 0;
  if (EVP_PKEY_get_base_id(impl->key) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(impl->key, "group", group, sizeof group, &length) != 1 ||
      std::string(group) != SN_X9_62_prime256v1) {
    throw std::runtime_error("ES256 needs a key on P-256 (prime256v1)");
  }
  // verify() computes with the private scalar where a verifier uses the public point: the two
  // must be one key, or tokens this signs would verify here and fail everywhere else.
  EVP_PKEY_CTX* check = EVP_PKEY_CTX_new(impl->key, nullptr);
  const bool pair = check != nullptr && EVP_PKEY_pairwise_check(check) == 1;
  EVP_PKEY_CTX_free(check);
  if (!pair) {
    ERR_clear_error();
    throw std::runtime_error("the key's public point is not its private scalar's (damaged key)");
  }
  impl->sign_template = EVP_MD_CTX_new();
  impl->ec = EVP_PKEY_get1_EC_KEY(impl->key);
  if (impl->sign_template == nullptr || impl->ec == nullptr ||
      EVP_DigestSignInit(impl->sign_template, nullptr, EVP_sha256(), nullptr, impl->key) != 1) {
    throw std::runtime_error("cannot set up ES256 with this key");
  }
  impl->group = EC_KEY_get0_group(impl->ec);
  impl->order = EC_GROUP_get0_order(impl->group);
  unsigned char order[kHalf];
  if (BN_bn2binpad(impl->order, order, kHalf) != kHalf) {
    throw std::runtime_error("cannot set up ES256 with this key");
  }
  mpz_import(impl->gmp_order, kHalf, 1, 1, 1, 0, order);
  if (nonces == Nonces::presigned_when_possible) {
    try {
      impl->presignatures = std::make_unique<EcdsaPresignatures>(impl->group);
    } catch (const std::runtime_error&) {
      // No MADV_WIPEONFORK (or OpenSSL failed): each signature draws its own nonce.
    }
  }
  return Es256Key(std::move(impl));
}

namespace {

std::string r_and_s(const ECDSA_SIG* sig) {
  std::string out(2 * kHalf, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig), bytes, kHalf) != kHalf ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig), bytes + kHalf, kHalf) != kHalf) {
    throw std::runtime_error("ES256 signature out of range");
  }
  return out;
}

std::string sign_through_evp(EVP_MD_CTX* sign_template, std::string_view data) {
  MdCtx ctx(EVP_MD_CTX_new());
  unsigned char der[80];
  std::size_t der_length = sizeof der;
  if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), sign_template) != 1 ||
      EVP_DigestSign(ctx.get(), der, &der_length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    throw std::runtime_error("ES256 signing failed");
  }
  const unsigned char* in = der;
  Sig sig(d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der_length)));
  if (!sig) throw std::runtime_error("ES256 signing gave no signature");
  return r_and_s(sig.get());
}

}  // namespace

// s = k^-1 (e + r*d) by OpenSSL's constant-time signing arithmetic (ECDSA_do_sign_ex), with k^-1
// and r from a presignature (util/ecdsa_presignatures): what EVP would compute for this one
// message, computed ahead in a batch.
std::string Es256Key::sign(std::string_view data) const {
  const Impl& k = *impl_;
  if (!k.presignatures) return sign_through_evp(k.sign_template, data);
  const std::string digest = sha256(data);
  // s is zero for one presignature in 2^256: then another.
  for (int attempt = 0; attempt < 3; ++attempt) {
    Presignature p;
    k.presignatures->take(p);
    SecretBn k_inverse(BN_bin2bn(p.k_inverse, kHalf, BN_secure_new()));
    Bn r(BN_bin2bn(p.r, kHalf, nullptr));
    OPENSSL_cleanse(&p, sizeof p);
    if (!k_inverse || !r) throw std::runtime_error("ES256 signing failed");
    Sig sig(ECDSA_do_sign_ex(reinterpret_cast<const unsigned char*>(digest.data()),
                             static_cast<int>(digest.size()), k_inverse.get(), r.get(), k.ec));
    if (sig) return r_and_s(sig.get());
    ERR_clear_error();
  }
  throw std::runtime_error("ES256 signing failed");
}

// A verifier holding only the public point Q computes u1*G + u2*Q (u1 = e/s, u2 = r/s) and checks
// that its x is r. This key also holds the private scalar d with Q = d*G (checked at load), so
// the same point is t*G with t = (e + r*d)/s: one multiple of the generator, which OpenSSL
// computes from a precomputed table, instead of a multiple of an arbitrary point, which is most
// of the cost of a verify (about a quarter of it remains). For a valid signature t is the signer's
// nonce, whose disclosure would give d away, so t is computed only by OpenSSL's constant-time
// signing arithmetic (ECDSA_do_sign_ex with s^-1 in place of k^-1) and used only by its
// constant-time multiplication of the generator; what is compared, x(t*G), anyone holding Q can
// compute. s^-1 is computed by a routine whose time depends on s, which is public.
bool Es256Key::verify(std::string_view data, std::string_view signature) const noexcept {
  if (signature.size() != 2 * kHalf) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  const Impl& k = *impl_;
  BnCtx ctx(BN_CTX_new());
  Bn r(BN_bin2bn(bytes, kHalf, nullptr));
  Bn s(BN_bin2bn(bytes + kHalf, kHalf, nullptr));
  Bn x(BN_new());
  EcPoint point(k.group == nullptr ? nullptr : EC_POINT_new(k.group));
  bool valid = false;
  if (ctx && r && s && x && point && !BN_is_zero(r.get()) && !BN_is_zero(s.get()) &&
      BN_cmp(r.get(), k.order) < 0 && BN_cmp(s.get(), k.order) < 0) {
    std::string digest;
    try {
      digest = sha256(data);
    } catch (const std::bad_alloc&) {  // verify() promises not to throw: no memory, no signature
      return false;
    }
    Bn s_inverse = public_inverse(bytes + kHalf, k.gmp_order);
    // t is zero (ECDSA_do_sign_ex fails) exactly when u1*G + u2*Q is the point at infinity.
    Sig t(s_inverse
              ? ECDSA_do_sign_ex(reinterpret_cast<const unsigned char*>(digest.data()),
                                 static_cast<int>(digest.size()), s_inverse.get(), r.get(), k.ec)
              : nullptr);
    valid =
        t &&
        EC_POINT_mul(k.group, point.get(), ECDSA_SIG_get0_s(t.get()), nullptr, nullptr,
                     ctx.get()) == 1 &&
        EC_POINT_get_affine_coordinates(k.group, point.get(), x.get(), nullptr, ctx.get()) == 1 &&
        BN_nnmod(x.get(), x.get(), k.order, ctx.get()) == 1 && BN_cmp(x.get(), r.get()) == 0;
  }
  if (!valid) ERR_clear_error();
  return valid;
}

std::string Es256Key::public_pem() const {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || PEM_write_bio_PUBKEY(bio, impl_->key) != 1) {
    BIO_free(bio);
    throw std::runtime_error("cannot write the public key");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<std::size_t>(length));
  BIO_free(bio);
  return pem;
}

std::string es256_jws(const Es256Key& key, std::string_view header_json,
                      std::string_view payload_json) {
  std::string out = base64url_encode(header_json);
  out += '.';
  out += base64url_encode(payload_json);
  out += '.' + base64url_encode(key.sign(out));
  return out;
}

}  // namespace linkgate::util
