// SHA256_Init & co are deprecated in OpenSSL 3 for EVP, whose contexts are allocated objects:
// an HMAC key's hashed pads are plain structs here, copied per message at no cost. Defined
// before the first OpenSSL header.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "util/crypto.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

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

}  // namespace

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  if (count > 0) take_random(reinterpret_cast<unsigned char*>(out.data()), count);
  return out;
}

std::string sha256(std::string_view data) {
  // Not the one-shot SHA256(): in OpenSSL 3 it fetches the digest by name on every call, which
  // cost a start's signature more than the hash itself.
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(reinterpret_cast<unsigned char*>(out.data()), &ctx);
  OPENSSL_cleanse(&ctx, sizeof ctx);
  return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  return HmacSha256Key(key).mac(data);
}

// RFC 2104: H((K ^ opad) || H((K ^ ipad) || data)), each H's first block (the padded key)
// hashed once.
struct HmacSha256Key::Pads {
  SHA256_CTX inner;
  SHA256_CTX outer;
  Pads() = default;
  Pads(const Pads&) = delete;
  Pads& operator=(const Pads&) = delete;
  ~Pads() { OPENSSL_cleanse(this, sizeof *this); }
};

HmacSha256Key::HmacSha256Key(std::string_view key) {
  constexpr std::size_t kBlock = SHA256_CBLOCK;
  unsigned char padded[kBlock] = {};
  if (key.size() > kBlock) {
    SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), padded);
  } else {
    std::memcpy(padded, key.data(), key.size());
  }
  auto pads = std::make_shared<Pads>();
  unsigned char pad[kBlock];
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = padded[i] ^ 0x36;
  SHA256_Init(&pads->inner);
  SHA256_Update(&pads->inner, pad, kBlock);
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = padded[i] ^ 0x5c;
  SHA256_Init(&pads->outer);
  SHA256_Update(&pads->outer, pad, kBlock);
  OPENSSL_cleanse(padded, sizeof padded);
  OPENSSL_cleanse(pad, sizeof pad);
  pads_ = std::move(pads);
}

std::string HmacSha256Key::mac(std::string_view data) const {
  SHA256_CTX ctx = pads_->inner;
  unsigned char inner[SHA256_DIGEST_LENGTH];
  SHA256_Update(&ctx, data.data(), data.size());
  SHA256_Final(inner, &ctx);
  ctx = pads_->outer;
  SHA256_Update(&ctx, inner, sizeof inner);
  std::string out(SHA256_DIGEST_LENGTH, '\0');
  SHA256_Final(reinterpret_cast<unsigned char*>(out.data()), &ctx);
  OPENSSL_cleanse(&ctx, sizeof ctx);
  OPENSSL_cleanse(inner, sizeof inner);
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
