#include "util/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <pthread.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace linkgate::util {
namespace {

void fill_from_openssl(unsigned char* out, std::size_t count) {
  if (RAND_bytes(out, static_cast<int>(count)) != 1) {
    std::fputs("linkgate: the system random source failed; refusing to continue\n", stderr);
    std::abort();
  }
}

// Random bytes are drawn from OpenSSL a block at a time: each RAND_bytes call costs a getpid()
// system call (its fork check) and a lock, more than the bytes a token needs. A forked child
// must not hand out its parent's bytes, so a fork empties every block.
std::atomic<unsigned> forks{0};

struct RandomBlock {  // trivially destructible: no thread-exit hook into a plugin's copy
  unsigned char bytes[512];
  std::size_t used = sizeof bytes;
  unsigned forks_seen = 0;
};

void take_random(unsigned char* out, std::size_t count) {
  static const bool watching_forks =
      ::pthread_atfork(nullptr, nullptr, [] { forks.fetch_add(1); }) == 0;
  thread_local RandomBlock block;
  if (!watching_forks || count > sizeof block.bytes / 4) {
    fill_from_openssl(out, count);
    return;
  }
  const unsigned now = forks.load(std::memory_order_relaxed);
  if (block.forks_seen != now || sizeof block.bytes - block.used < count) {
    fill_from_openssl(block.bytes, sizeof block.bytes);
    block.used = 0;
    block.forks_seen = now;
  }
  std::memcpy(out, block.bytes + block.used, count);
  OPENSSL_cleanse(block.bytes + block.used, count);  // handed out once, kept nowhere else
  block.used += count;
}

// Fetched once: given by name (HMAC(), EVP_sha256()), OpenSSL 3 looks the digest up in its
// provider store on every call, under a lock and with allocations, which cost as much as
// hashing a token.
const EVP_MD* sha256_digest() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (count > 0) take_random(reinterpret_cast<unsigned char*>(out.data()), count);
  return out;
}

std::string sha256(std::string_view data) {
  std::string out(32, '\0');
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
             sha256_digest(), nullptr);
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  // RFC 2104 over the digest fetched once: H((K ^ opad) || H((K ^ ipad) || data)).
  constexpr std::size_t kBlock = 64;
  const EVP_MD* md = sha256_digest();
  unsigned char padded[kBlock] = {};
  unsigned int len = 0;
  if (key.size() > kBlock) {
    EVP_Digest(key.data(), key.size(), padded, &len, md, nullptr);
  } else {
    std::memcpy(padded, key.data(), key.size());
  }
  unsigned char pad[kBlock];
  unsigned char inner[32];
  std::string out(32, '\0');
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr;
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = padded[i] ^ 0x36;
  ok = ok && EVP_DigestInit_ex(ctx, md, nullptr) == 1 && EVP_DigestUpdate(ctx, pad, kBlock) == 1 &&
       EVP_DigestUpdate(ctx, data.data(), data.size()) == 1 &&
       EVP_DigestFinal_ex(ctx, inner, &len) == 1;
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = padded[i] ^ 0x5c;
  ok = ok && EVP_DigestInit_ex(ctx, md, nullptr) == 1 && EVP_DigestUpdate(ctx, pad, kBlock) == 1 &&
       EVP_DigestUpdate(ctx, inner, sizeof inner) == 1 &&
       EVP_DigestFinal_ex(ctx, reinterpret_cast<unsigned char*>(out.data()), &len) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_cleanse(padded, sizeof padded);
  OPENSSL_cleanse(pad, sizeof pad);
  OPENSSL_cleanse(inner, sizeof inner);
  if (!ok) {
    std::fputs("linkgate: SHA-256 failed; refusing to continue\n", stderr);
    std::abort();
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string random_digits(std::size_t digits) {
  std::string out;
  out.reserve(digits);
  while (out.size() < digits) {
    for (unsigned char byte : random_bytes(digits)) {
      if (byte >= 250) continue;  // 250 = 25 * 10: keeps every digit equally likely
      out.push_back(static_cast<char>('0' + byte % 10));
      if (out.size() == digits) break;
    }
  }
  return out;
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kHex[c >> 4]);
    out.push_back(kHex[c & 15]);
  }
  return out;
}

}  // namespace linkgate::util
