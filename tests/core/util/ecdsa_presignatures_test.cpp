#include "util/ecdsa_presignatures.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/obj_mac.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace linkgate::util {
namespace {

struct Group {
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  BN_CTX* ctx = BN_CTX_new();
  ~Group() {
    BN_CTX_free(ctx);
    EC_GROUP_free(group);
  }

  // Whether r is the x (mod n) of k*G for the k whose inverse the presignature holds: the
  // batch's two shared inversions checked against one plain inversion and multiplication each.
  bool consistent(const Presignature& p) const {
    BIGNUM* k = BN_bin2bn(p.k_inverse, 32, nullptr);
    BIGNUM* r = BN_bin2bn(p.r, 32, nullptr);
    BIGNUM* x = BN_new();
    EC_POINT* point = EC_POINT_new(group);
    const BIGNUM* order = EC_GROUP_get0_order(group);
    const bool ok = BN_cmp(k, order) < 0 && !BN_is_zero(k) &&
                    BN_mod_inverse(k, k, order, ctx) != nullptr &&
                    EC_POINT_mul(group, point, k, nullptr, nullptr, ctx) == 1 &&
                    EC_POINT_get_affine_coordinates(group, point, x, nullptr, ctx) == 1 &&
                    BN_nnmod(x, x, order, ctx) == 1 && BN_cmp(x, r) == 0;
    EC_POINT_free(point);
    BN_free(x);
    BN_free(r);
    BN_clear_free(k);
    return ok;
  }
};

std::string r_of(const Presignature& p) {
  return std::string(reinterpret_cast<const char*>(p.r), sizeof p.r);
}

TEST(EcdsaPresignatures, EachIsAnInverseNonceAndItsRAndNoneOfTenThousandComesTwice) {
  Group g;
  EcdsaPresignatures presignatures(g.group);
  constexpr int kThreads = 8, kEach = 80 * EcdsaPresignatures::kBatch;  // 10,240 in all
  std::vector<std::vector<Presignature>> taken(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) presignatures.take(taken[t].emplace_back());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> rs;
  for (const auto& list : taken) {
    for (const auto& p : list) {
      ASSERT_TRUE(g.consistent(p));
      EXPECT_TRUE(rs.insert(r_of(p)).second) << "a nonce handed out twice";
    }
  }
  EXPECT_EQ(rs.size(), static_cast<std::size_t>(kThreads * kEach));
}

// A batch's nonces come from one draw of random bytes, cut in 32-byte pieces: each k must still
// use all of its piece. Every one of k's 256 bits is set in about half of 2,048 nonces (k is
// uniform below an order just under 2^256); a nonce short of bytes, or two sharing theirs, shows
// as bits that are never (or always) set.
TEST(EcdsaPresignatures, EveryBitOfTheNoncesIsSetAboutHalfTheTime) {
  Group g;
  EcdsaPresignatures presignatures(g.group);
  constexpr int kNonces = 128 * EcdsaPresignatures::kBatch;
  std::vector<int> set(256, 0);
  BIGNUM* k = BN_new();
  for (int i = 0; i < kNonces; ++i) {
    Presignature p;
    presignatures.take(p);
    ASSERT_NE(BN_bin2bn(p.k_inverse, 32, k), nullptr);
    ASSERT_NE(BN_mod_inverse(k, k, EC_GROUP_get0_order(g.group), g.ctx), nullptr);
    for (int bit = 0; bit < 256; ++bit) set[bit] += BN_is_bit_set(k, bit);
  }
  BN_clear_free(k);
  for (int bit = 0; bit < 256; ++bit) {
    // Nine standard deviations either side of half: a sound generator never fails this.
    EXPECT_GT(set[bit], kNonces * 2 / 5) << "bit " << bit;
    EXPECT_LT(set[bit], kNonces * 3 / 5) << "bit " << bit;
  }
}

// Without the page wiped in the child, the child's first presignature is the parent's next one:
// the same nonce on two messages, and the private key follows from the two signatures.
TEST(EcdsaPresignatures, AForkedChildNeverGetsThoseLeftInItsParent) {
  Group g;
  EcdsaPresignatures presignatures(g.group);
  Presignature first;
  presignatures.take(first);  // the parent keeps the rest of a batch
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    Presignature p;
    presignatures.take(p);
    const bool written = write(pipe_fds[1], p.r, sizeof p.r) == static_cast<ssize_t>(sizeof p.r);
    _exit(written && g.consistent(p) ? 0 : 1);
  }
  close(pipe_fds[1]);
  unsigned char child_r[32];
  const ssize_t got = read(pipe_fds[0], child_r, sizeof child_r);
  close(pipe_fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_EQ(got, 32);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  const std::string child_nonce(reinterpret_cast<const char*>(child_r), sizeof child_r);
  for (std::size_t i = 0; i < 2 * EcdsaPresignatures::kBatch; ++i) {
    Presignature p;
    presignatures.take(p);
    ASSERT_NE(r_of(p), child_nonce) << "the child used a nonce its parent uses too";
  }
}

}  // namespace
}  // namespace linkgate::util
