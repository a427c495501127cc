#include "session/signing_keys.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <stdexcept>

#include "util/base64url.h"
#include "util/crypto.h"
#include "util/files.h"

namespace linkgate::session {
namespace {

std::string coordinate(const EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &bn) != 1) throw std::runtime_error("not an EC key");
  std::string bytes(32, '\0');
  int ok = BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(bytes.data()), 32);
  BN_free(bn);
  if (ok != 32) throw std::runtime_error("not a P-256 key");
  return util::base64url_encode(bytes);
}

}  // namespace

PublicJwk public_jwk_from_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) throw std::runtime_error("not a PEM private key");
  char group[64] = {0};
  std::size_t len = 0;
  bool p256 = EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                             &len) == 1 &&
              std::string(group) == "prime256v1";
  if (!p256) {
    EVP_PKEY_free(key);
    throw std::runtime_error("not a P-256 (prime256v1) key");
  }
  std::string x, y;
  try {
    x = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X);
    y = coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y);
  } catch (...) {
    EVP_PKEY_free(key);
    throw;
  }
  EVP_PKEY_free(key);
  // RFC 7638 fixes this exact text (required members in lexicographic order, no white space);
  // x and y are base64url, so nothing in it needs escaping.
  std::string canonical = R"({"crv":"P-256","kty":"EC","x":")" + x + R"(","y":")" + y + "\"}";
  PublicJwk out;
  out.thumbprint = util::base64url_encode(util::sha256(canonical));
  Poco::JSON::Object jwk(Poco::JSON_PRESERVE_KEY_ORDER);
  for (const auto& [name, value] : {std::pair{"kty", std::string("EC")},
                                    {"crv", "P-256"},
                                    {"x", x},
                                    {"y", y},
                                    {"use", "sig"},
                                    {"alg", "ES256"},
                                    {"kid", out.thumbprint}}) {
    jwk.set(name, value);
  }
  std::ostringstream text;
  jwk.stringify(text);
  out.json = text.str();
  return out;
}

SigningKeys::SigningKeys(std::string dir, std::chrono::milliseconds rotate_every,
                         std::chrono::milliseconds token_ttl, const sdk::Clock& clock)
    : dir_(std::move(dir)), rotate_every_(rotate_every), token_ttl_(token_ttl), clock_(clock) {
  std::lock_guard lock(mutex_);
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("cannot create " + dir_ + ": " + ec.message());
  std::filesystem::permissions(dir_, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  load_locked();
  maintain_locked();
  folder_changed_at_ = std::filesystem::last_write_time(dir_, ec);
  next_maintain_ = clock_.now_seconds() + 60;
}

void SigningKeys::load_locked() {
  std::vector<std::shared_ptr<const SigningKey>> loaded;
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir_, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind("session-", 0) != 0 || it->path().extension() != ".pem") continue;
    if (auto problem = util::private_file_problem(it->path().string()); !problem.empty()) {
      throw std::runtime_error(problem);
    }
    auto pem = util::read_file(it->path().string());
    if (!pem) throw std::runtime_error("cannot read signing key " + it->path().string());
    auto key = std::make_shared<SigningKey>();
    key->file = it->path().string();
    try {
      key->created_at = std::stoll(name.substr(8, name.size() - 12));
      auto jwk = public_jwk_from_pem(*pem);
      key->kid = jwk.thumbprint;
      key->public_jwk = jwk.json;
      key->es256 = util::Es256Key::from_private_pem(*pem);
    } catch (const std::exception& e) {
      throw std::runtime_error("signing key " + key->file + ": " + e.what());
    }
    loaded.push_back(key);
  }
  std::sort(loaded.begin(), loaded.end(),
            [](auto& a, auto& b) { return a->created_at < b->created_at; });
  keys_ = std::move(loaded);
}

void SigningKeys::generate_locked(std::int64_t created_at) {
  if (!keys_.empty() && keys_.back()->created_at >= created_at)
    created_at = keys_.back()->created_at + 1;
  std::ostringstream pem;
  Poco::Crypto::ECKey("prime256v1").save(nullptr, &pem);
  std::string error;
  std::string file =
      (std::filesystem::path(dir_) / ("session-" + std::to_string(created_at) + ".pem")).string();
  if (!util::create_or_read_secret(file, pem.str(), error)) throw std::runtime_error(error);
  load_locked();
}

void SigningKeys::refresh_locked(bool now) {
  const auto tick = std::chrono::steady_clock::now();
  if (!now && tick < next_check_) return;
  next_check_ = tick + std::chrono::seconds(1);
  try {
    std::error_code ec;
    const auto changed_at = std::filesystem::last_write_time(dir_, ec);
    if (!ec && changed_at != folder_changed_at_) {
      load_locked();
      folder_changed_at_ = changed_at;
    }
    const std::int64_t seconds = clock_.now_seconds();
    if (seconds >= next_maintain_) {
      next_maintain_ = seconds + 60;
      maintain_locked();
    }
  } catch (const std::exception&) {
    // A key half-written by hand or a full disk: keep signing with the keys already loaded and
    // look again on the next check.
  }
  if (keys_.empty()) throw std::runtime_error("no session signing key in " + dir_);
}

std::shared_ptr<const SigningKey> SigningKeys::current() {
  std::lock_guard lock(mutex_);
  refresh_locked();
  return keys_.back();
}

std::shared_ptr<const SigningKey> SigningKeys::find(const std::string& kid) {
  std::lock_guard lock(mutex_);
  refresh_locked();
  for (int attempt = 0; attempt < 2; ++attempt) {
    for (const auto& k : keys_) {
      if (k->kid == kid) return k;
    }
    if (attempt == 0) refresh_locked(true);  // a stat, and a reload only if the folder changed
  }
  return nullptr;
}

std::shared_ptr<const SigningKey> SigningKeys::rotate() {
  std::lock_guard lock(mutex_);
  generate_locked(clock_.now_seconds());
  return keys_.back();
}

std::string SigningKeys::jwks_json() {
  std::lock_guard lock(mutex_);
  refresh_locked();
  Poco::JSON::Array keys;
  for (auto it = keys_.rbegin(); it != keys_.rend(); ++it) {
    keys.add(Poco::JSON::Parser().parse((*it)->public_jwk));
  }
  Poco::JSON::Object set;
  set.set("keys", keys);
  std::ostringstream out;
  set.stringify(out);
  return out.str();
}

void SigningKeys::maintain() {
  std::lock_guard lock(mutex_);
  maintain_locked();
}

void SigningKeys::maintain_locked() {
  const std::int64_t now = clock_.now_seconds();
  if (keys_.empty() || now - keys_.back()->created_at >= rotate_every_.count() / 1000)
    generate_locked(now);
  // A key stopped signing when its successor was made; once a token lifetime has passed since,
  // nothing it signed is still valid, so it leaves the JWKS and the disk.
  const std::int64_t ttl = token_ttl_.count() / 1000;
  for (std::size_t i = 0; i + 1 < keys_.size();) {
    if (now - keys_[i + 1]->created_at > ttl + 60) {
      std::error_code ec;
      std::filesystem::remove(keys_[i]->file, ec);
      keys_.erase(keys_.begin() + static_cast<std::ptrdiff_t>(i));
    } else {
      ++i;
    }
  }
}

}  // namespace linkgate::session
