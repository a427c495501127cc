#pragma once
// OpenSSL objects owned by std::unique_ptr, each freed by its own function. Secret numbers and
// points are freed by the functions that wipe them first.

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <memory>

namespace linkgate::util {

template <auto Free>
struct FreedWith {
  template <typename T>
  void operator()(T* object) const {
    Free(object);
  }
};

using Bn = std::unique_ptr<BIGNUM, FreedWith<BN_free>>;
using SecretBn = std::unique_ptr<BIGNUM, FreedWith<BN_clear_free>>;
using BnCtx = std::unique_ptr<BN_CTX, FreedWith<BN_CTX_free>>;
using EcPoint = std::unique_ptr<EC_POINT, FreedWith<EC_POINT_clear_free>>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, FreedWith<EVP_MD_CTX_free>>;

}  // namespace linkgate::util
