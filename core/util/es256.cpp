#include "util/es256.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "util/base64url.h"

namespace linkgate::util {
namespace {

struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

constexpr std::size_t kHalf = 32;

}  // namespace

struct Es256Key::Impl {
  EVP_PKEY* key = nullptr;
  // Set up once with the key; each call copies them instead of initialising from scratch
  // (OpenSSL 3 looks up providers and algorithms in every *Init).
  EVP_MD_CTX* sign_template = nullptr;
  EVP_MD_CTX* verify_template = nullptr;
  ~Impl() {
    EVP_MD_CTX_free(sign_template);
    EVP_MD_CTX_free(verify_template);
    EVP_PKEY_free(key);
  }
};

Es256Key Es256Key::from_private_pem(const std::string& pem) {
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
  impl->sign_template = EVP_MD_CTX_new();
  impl->verify_template = EVP_MD_CTX_new();
  if (impl->sign_template == nullptr || impl->verify_template == nullptr ||
      EVP_DigestSignInit(impl->sign_template, nullptr, EVP_sha256(), nullptr, impl->key) != 1 ||
      EVP_DigestVerifyInit(impl->verify_template, nullptr, EVP_sha256(), nullptr, impl->key) != 1) {
    throw std::runtime_error("cannot set up ES256 with this key");
  }
  return Es256Key(std::move(impl));
}

std::string Es256Key::sign(std::string_view data) const {
  MdCtx ctx(EVP_MD_CTX_new());
  unsigned char der[80];
  std::size_t der_length = sizeof der;
  if (!ctx || EVP_MD_CTX_copy_ex(ctx.get(), impl_->sign_template) != 1 ||
      EVP_DigestSign(ctx.get(), der, &der_length,
                     reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
    throw std::runtime_error("ES256 signing failed");
  }
  const unsigned char* in = der;
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der_length));
  if (sig == nullptr) throw std::runtime_error("ES256 signing gave no signature");
  std::string out(2 * kHalf, '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  const bool fits = BN_bn2binpad(ECDSA_SIG_get0_r(sig), bytes, kHalf) == kHalf &&
                    BN_bn2binpad(ECDSA_SIG_get0_s(sig), bytes + kHalf, kHalf) == kHalf;
  ECDSA_SIG_free(sig);
  if (!fits) throw std::runtime_error("ES256 signature out of range");
  return out;
}

bool Es256Key::verify(std::string_view data, std::string_view signature) const noexcept {
  if (signature.size() != 2 * kHalf) return false;
  const auto* bytes = reinterpret_cast<const unsigned char*>(signature.data());
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(bytes, kHalf, nullptr);
  BIGNUM* s = BN_bin2bn(bytes + kHalf, kHalf, nullptr);
  if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return false;
  }
  unsigned char der[80];
  unsigned char* out = der;
  const int der_length = i2d_ECDSA_SIG(sig, &out);
  ECDSA_SIG_free(sig);
  if (der_length <= 0 || der_length > static_cast<int>(sizeof der)) return false;
  MdCtx ctx(EVP_MD_CTX_new());
  return ctx && EVP_MD_CTX_copy_ex(ctx.get(), impl_->verify_template) == 1 &&
         EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_length),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
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
