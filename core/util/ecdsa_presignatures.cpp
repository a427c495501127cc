// EC_POINTs_make_affine and EC_POINT_get_Jprojective_coordinates_GFp are deprecated in OpenSSL 3
// with no replacement: together they find the x of many points with one inversion. Defined
// before the first OpenSSL header, which the own header includes.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "util/ecdsa_presignatures.h"

#include "util/openssl_handles.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <sys/mman.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <vector>

namespace linkgate::util {
namespace {

constexpr int kBytes = 32;

[[noreturn]] void fail() {
  ERR_clear_error();
  throw std::runtime_error("ES256 signing failed");
}

std::size_t page_size() {
  return static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

EcdsaPresignatures::EcdsaPresignatures(const EC_GROUP* group) : group_(group) {
  void* page =
      mmap(nullptr, page_size(), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) throw std::runtime_error("no memory for ES256 presignatures");
  if (madvise(page, page_size(), MADV_WIPEONFORK) != 0) {
    munmap(page, page_size());
    throw std::runtime_error("this kernel cannot wipe ES256 presignatures in a forked child");
  }
  madvise(page, page_size(), MADV_DONTDUMP);  // best effort: core dumps may be off anyway
  page_ = page;
  count_ = static_cast<std::size_t*>(page);
  slots_ = reinterpret_cast<Presignature*>(static_cast<unsigned char*>(page) + sizeof(std::size_t));
  capacity_ = (page_size() - sizeof(std::size_t)) / sizeof(Presignature);
  BnCtx ctx(BN_CTX_new());
  order_mont_ = BN_MONT_CTX_new();
  order_minus_2_ = BN_dup(EC_GROUP_get0_order(group_));
  if (!ctx || order_mont_ == nullptr || order_minus_2_ == nullptr ||
      BN_MONT_CTX_set(order_mont_, EC_GROUP_get0_order(group_), ctx.get()) != 1 ||
      BN_sub_word(order_minus_2_, 2) != 1) {
    BN_MONT_CTX_free(order_mont_);
    BN_free(order_minus_2_);
    munmap(page_, page_size());
    fail();
  }
}

EcdsaPresignatures::~EcdsaPresignatures() {
  OPENSSL_cleanse(page_, page_size());
  munmap(page_, page_size());
  BN_MONT_CTX_free(order_mont_);
  BN_free(order_minus_2_);
}

void EcdsaPresignatures::take(Presignature& out) {
  {
    std::lock_guard lock(mutex_);
    if (*count_ > 0) {
      Presignature& slot = slots_[--*count_];
      out = slot;
      OPENSSL_cleanse(&slot, sizeof slot);
      return;
    }
  }
  struct Batch {  // wiped however take() ends, a compute() that failed halfway too
    Presignature items[kBatch];
    ~Batch() { OPENSSL_cleanse(items, sizeof items); }
  } batch;
  compute(batch.items, kBatch);
  out = batch.items[0];
  std::lock_guard lock(mutex_);
  for (std::size_t i = 1; i < kBatch && *count_ < capacity_; ++i) {
    slots_[(*count_)++] = batch.items[i];
  }
}

// For each k_i: k_i*G in projective coordinates, then all of them made affine together
// (EC_POINTs_make_affine: one inversion of the product of the Zs); then every k_i^-1 from one
// constant-time inversion of the product of the ks, in Montgomery form:
//   prefix_i = k_0 ... k_i,  inverse = prefix_last^-1,
//   k_i^-1 = inverse * prefix_(i-1), then inverse *= k_i, from the last k down.
// Every step on a secret is OpenSSL's constant-time arithmetic (Montgomery multiplication,
// BN_mod_exp_mont_consttime, the generator's table); the Zs are multiplied and inverted by the
// field arithmetic OpenSSL's own signing uses to make k*G affine.
void EcdsaPresignatures::compute(Presignature* out, std::size_t count) const {
  const BIGNUM* order = EC_GROUP_get0_order(group_);
  BnCtx ctx(BN_CTX_secure_new());
  if (!ctx) fail();
  BN_CTX* c = ctx.get();
  std::vector<SecretBn> k, prefix;
  std::vector<EcPoint> points;
  std::vector<EC_POINT*> raw_points;
  // The nonces' bytes in one draw from OpenSSL's private generator: each draw asks the kernel for
  // the process id (its fork check), a system call per signature when drawn one nonce at a time.
  // A draw that is zero or not below the order is replaced by a draw of its own — the rejection
  // BN_priv_rand_range makes for an order of P-256's length, so k is as uniform as it makes it.
  if (count > kBatch) fail();
  struct Drawn {  // wiped however compute() ends: the bytes are the nonces themselves
    unsigned char bytes[kBatch][kBytes];
    ~Drawn() { OPENSSL_cleanse(bytes, sizeof bytes); }
  } drawn;
  if (RAND_priv_bytes_ex(nullptr, &drawn.bytes[0][0], sizeof drawn.bytes, 0) != 1) fail();
  for (std::size_t i = 0; i < count; ++i) {
    k.emplace_back(BN_secure_new());
    prefix.emplace_back(BN_secure_new());
    points.emplace_back(EC_POINT_new(group_));
    if (!k.back() || !prefix.back() || !points.back()) fail();
    BIGNUM* nonce = k.back().get();
    BN_set_flags(nonce, BN_FLG_CONSTTIME);
    if (BN_bin2bn(drawn.bytes[i], kBytes, nonce) == nullptr) fail();
    while (BN_is_zero(nonce) || BN_cmp(nonce, order) >= 0) {
      if (BN_priv_rand_range_ex(nonce, order, 0, c) != 1) fail();
    }
    if (EC_POINT_mul(group_, points.back().get(), k.back().get(), nullptr, nullptr, c) != 1) {
      fail();
    }
    raw_points.push_back(points.back().get());
  }
  if (EC_POINTs_make_affine(group_, count, raw_points.data(), c) != 1) fail();

  SecretBn x(BN_secure_new()), y(BN_secure_new()), z(BN_secure_new()), r(BN_new());
  SecretBn inverse(BN_secure_new()), k_inverse(BN_secure_new());
  if (!x || !y || !z || !r || !inverse || !k_inverse) fail();
  for (std::size_t i = 0; i < count; ++i) {
    // Z is one now; should it not be, get x the usual way (one inversion of its own).
    if (EC_POINT_get_Jprojective_coordinates_GFp(group_, raw_points[i], x.get(), y.get(), z.get(),
                                                 c) != 1 ||
        (!BN_is_one(z.get()) &&
         EC_POINT_get_affine_coordinates(group_, raw_points[i], x.get(), y.get(), c) != 1) ||
        BN_nnmod(r.get(), x.get(), order, c) != 1 || BN_is_zero(r.get()) ||
        BN_bn2binpad(r.get(), out[i].r, kBytes) != kBytes) {
      fail();
    }
  }

  for (std::size_t i = 0; i < count; ++i) {
    // k_i into Montgomery form in place; prefix_i = prefix_(i-1) * k_i.
    if (BN_to_montgomery(k[i].get(), k[i].get(), order_mont_, c) != 1 ||
        (i == 0 ? BN_copy(prefix[0].get(), k[0].get()) == nullptr
                : BN_mod_mul_montgomery(prefix[i].get(), prefix[i - 1].get(), k[i].get(),
                                        order_mont_, c) != 1)) {
      fail();
    }
  }
  if (BN_from_montgomery(inverse.get(), prefix[count - 1].get(), order_mont_, c) != 1 ||
      BN_mod_exp_mont_consttime(inverse.get(), inverse.get(), order_minus_2_, order, c,
                                order_mont_) != 1 ||
      BN_to_montgomery(inverse.get(), inverse.get(), order_mont_, c) != 1) {
    fail();
  }
  for (std::size_t i = count; i-- > 0;) {
    bool done;
    if (i == 0) {
      done = BN_from_montgomery(k_inverse.get(), inverse.get(), order_mont_, c) == 1;
    } else {
      done = BN_mod_mul_montgomery(k_inverse.get(), inverse.get(), prefix[i - 1].get(), order_mont_,
                                   c) == 1 &&
             BN_from_montgomery(k_inverse.get(), k_inverse.get(), order_mont_, c) == 1 &&
             BN_mod_mul_montgomery(inverse.get(), inverse.get(), k[i].get(), order_mont_, c) == 1;
    }
    if (!done || BN_bn2binpad(k_inverse.get(), out[i].k_inverse, kBytes) != kBytes) fail();
  }
}

}  // namespace linkgate::util
