#include "jwt_token_strategy.h"
#include "jwt_config.h"

#include <Poco/Crypto/ECKey.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <gtest/gtest.h>

#include <sstream>

#include <filesystem>

#include "host/redis_expiring_keys.h"
#include "support/redis_server.h"
#include "support/temp_dir.h"
#include "support/test_services.h"
#include "util/base64url.h"
#include "util/crypto.h"
#include "util/es256.h"
#include "util/files.h"

namespace linkgate::plugins::jwt {
namespace {

class JwtTest : public ::testing::Test {
 protected:
  JwtSettings settings(const std::string& key = "link.pem") {
    return settings_with({{"key_file", dir.file(key)}});
  }
  sdk::LinkGrant grant(std::int64_t ttl = 900) {
    auto now = services.clock->now_seconds();
    return {
        "flow-1", "usr_1",  {sdk::AddressKind::email, "a@example.com"}, "https://app.example.com/x",
        now,      now + ttl};
  }
  linkgate::testing::TempDir dir;
  linkgate::testing::TestServices services;
};

TEST_F(JwtTest, IssuesAShortTokenThatRedeemsToTheSameGrant) {
  JwtTokenStrategy s(settings(), *services.host);
  auto issued = s.issue(grant());
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  EXPECT_LT(issued->token.size(), 400u);
  EXPECT_EQ(issued->token.find_first_of("+/= "), std::string::npos) << "URL-safe";
  auto redeemed = s.redeem(issued->token);
  ASSERT_TRUE(redeemed.ok()) << redeemed.error().message;
  EXPECT_EQ(redeemed->flow_id, "flow-1");
  EXPECT_EQ(redeemed->subject, "usr_1");
  EXPECT_EQ(redeemed->identifier.value, "a@example.com");
  EXPECT_EQ(redeemed->redirect_uri, "https://app.example.com/x");
}

TEST_F(JwtTest, KeyIsGeneratedPrivateAndReused) {
  std::string token;
  {
    JwtTokenStrategy s(settings(), *services.host);
    token = s.issue(grant())->token;
    auto perms =
        std::filesystem::status(dir.file("link.pem")).permissions() & std::filesystem::perms::all;
    EXPECT_EQ(perms, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  JwtTokenStrategy restarted(settings(), *services.host);
  EXPECT_TRUE(restarted.inspect(token).ok()) << "a restart keeps outstanding links valid";
}

TEST_F(JwtTest, WithoutSingleUseATokenRedeemsUntilExpiry) {
  auto st = settings();
  st.single_use = false;
  JwtTokenStrategy s(st, *services.host);
  auto token = s.issue(grant())->token;
  EXPECT_TRUE(s.redeem(token).ok());
  EXPECT_TRUE(s.redeem(token).ok());
}

TEST_F(JwtTest, ExpiresAtItsExpiryPlusLeeway) {
  JwtTokenStrategy s(settings(), *services.host);
  auto token = s.issue(grant(60))->token;
  services.clock->advance(std::chrono::seconds(64));
  EXPECT_TRUE(s.inspect(token).ok()) << "within the 5 s leeway";
  services.clock->advance(std::chrono::seconds(1));
  EXPECT_EQ(s.redeem(token).code(), sdk::ErrorCode::expired);
}

TEST_F(JwtTest, RefusesTokensFromTheFuture) {
  JwtTokenStrategy s(settings(), *services.host);
  auto g = grant();
  g.issued_at += 3600;
  g.expires_at += 3600;
  auto token = s.issue(g)->token;
  EXPECT_EQ(s.inspect(token).code(), sdk::ErrorCode::invalid);
}

TEST_F(JwtTest, RefusesEveryTamperedByte) {
  JwtTokenStrategy s(settings(), *services.host);
  auto token = s.issue(grant())->token;
  for (std::size_t i = 0; i < token.size(); i += 7) {
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    if (bad == token) continue;
    EXPECT_FALSE(s.inspect(bad).ok()) << "byte " << i;
  }
  EXPECT_FALSE(s.inspect(token + "A").ok());
  EXPECT_FALSE(s.inspect(token.substr(0, token.size() - 2)).ok());
}

// redeem() after inspect() of the same token verifies its signature once (signature_memo.h):
// a token one byte away from the one just verified must still be refused, at every byte.
TEST_F(JwtTest, AfterATokenIsVerifiedEveryTokenOneByteAwayIsStillRefused) {
  JwtTokenStrategy s(settings(), *services.host);
  auto token = s.issue(grant())->token;
  for (std::size_t i = 0; i < token.size(); ++i) {
    ASSERT_TRUE(s.inspect(token).ok());
    std::string bad = token;
    bad[i] = bad[i] == 'A' ? 'B' : 'A';
    if (bad == token) continue;
    EXPECT_FALSE(s.redeem(bad).ok()) << "byte " << i;
  }
  EXPECT_TRUE(s.redeem(token).ok());
  EXPECT_EQ(s.redeem(token).code(), sdk::ErrorCode::used);
  EXPECT_EQ(s.inspect(token).code(), sdk::ErrorCode::used);
}

TEST_F(JwtTest, ATokenVerifiedByOneInstanceIsCheckedAgainByAnother) {
  JwtTokenStrategy mine(settings("mine.pem"), *services.host);
  JwtTokenStrategy theirs(settings("theirs.pem"), *services.host);
  auto token = theirs.issue(grant())->token;
  ASSERT_TRUE(theirs.inspect(token).ok());  // now the last token this thread verified
  EXPECT_EQ(mine.inspect(token).code(), sdk::ErrorCode::invalid);
  EXPECT_EQ(mine.redeem(token).code(), sdk::ErrorCode::invalid);
}

// Only the signature is taken as known: expiry is judged on every call.
TEST_F(JwtTest, AVerifiedTokenStillExpires) {
  JwtTokenStrategy s(settings_with({{"key_file", dir.file("link.pem")}, {"single_use", "false"}}),
                     *services.host);
  auto token = s.issue(grant(60))->token;
  ASSERT_TRUE(s.inspect(token).ok());
  services.clock->advance(std::chrono::seconds(65));  // past the expiry and the 5 s leeway
  EXPECT_EQ(s.redeem(token).code(), sdk::ErrorCode::expired);
}

TEST_F(JwtTest, RefusesAlgNoneAndOtherAlgorithms) {
  JwtTokenStrategy s(settings(), *services.host);
  auto token = s.issue(grant())->token;
  auto payload = token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1);
  auto header = [&](const std::string& alg) {
    return util::base64url_encode(R"({"alg":")" + alg + R"(","kid":")" + s.key_id() + "\"}");
  };
  EXPECT_EQ(s.inspect(header("none") + "." + payload + ".").code(), sdk::ErrorCode::invalid);
  // Algorithm confusion: HS256 keyed with the strategy's real public key (PEM), as a verifier
  // that trusts the token's `alg` would check it. The forgery is proved valid under that secret.
  Poco::Crypto::ECKey key("", dir.file("link.pem"), "");
  std::ostringstream pem;
  key.save(&pem);
  ASSERT_NE(pem.str().find("BEGIN PUBLIC KEY"), std::string::npos);
  const std::string signing_input = header("HS256") + "." + payload;
  const std::string forged =
      signing_input + "." + util::base64url_encode(util::hmac_sha256(pem.str(), signing_input));
  Poco::JWT::Token decoded;
  ASSERT_TRUE(Poco::JWT::Signer(pem.str()).tryVerify(forged, decoded));
  EXPECT_EQ(s.inspect(forged).code(), sdk::ErrorCode::invalid);
  EXPECT_EQ(s.redeem(forged).code(), sdk::ErrorCode::invalid);
  EXPECT_EQ(s.inspect(header("ES256") + "." + payload + "." +
                      util::base64url_encode(std::string(64, '\0')))
                .code(),
            sdk::ErrorCode::invalid);
}

// Claims are read by one parser, strictly: a signed token whose claims two parsers could read
// differently (a claim named twice) or that nests a value is refused, though the signature is
// good.
TEST_F(JwtTest, RefusesSignedClaimsThatAreNotOneFlatObject) {
  JwtTokenStrategy s(settings(), *services.host);
  ASSERT_TRUE(s.issue(grant()).ok());  // the key file exists from here on
  const auto key = util::Es256Key::from_private_pem(*util::read_file(dir.file("link.pem")));
  const std::string header = R"({"alg":"ES256","typ":"JWT","kid":")" + s.key_id() + "\"}";
  const auto now = services.clock->now_seconds();
  auto claims = [&](const std::string& extra) {
    return R"({"aud":"linkgate:link","jti":"j1","iat":)" + std::to_string(now) + R"(,"exp":)" +
           std::to_string(now + 600) + R"(,"flw":"flow-1","eml":"a@example.com")" + extra + "}";
  };
  auto well_formed = s.inspect(util::es256_jws(key, header, claims("")));
  ASSERT_TRUE(well_formed.ok()) << well_formed.error().message;
  EXPECT_EQ(well_formed->flow_id, "flow-1");
  for (const std::string extra :
       {R"(,"flw":"flow-2")", R"(,"rdr":{"u":"https://evil.example"})", R"(,"x":[1])"}) {
    EXPECT_EQ(s.inspect(util::es256_jws(key, header, claims(extra))).code(),
              sdk::ErrorCode::invalid)
        << extra;
  }
}

TEST_F(JwtTest, RefusesTokensSignedWithAnotherKey) {
  JwtTokenStrategy mine(settings("mine.pem"), *services.host);
  JwtTokenStrategy theirs(settings("theirs.pem"), *services.host);
  EXPECT_EQ(mine.inspect(theirs.issue(grant())->token).code(), sdk::ErrorCode::invalid);
}

TEST_F(JwtTest, RefusesGarbage) {
  JwtTokenStrategy s(settings(), *services.host);
  for (const char* bad : {"", ".", "..", "a.b.c", "a.b", "a.b.c.d", "eyJ.eyJ.", "%%%.%%%.%%%"}) {
    EXPECT_EQ(s.inspect(bad).code(), sdk::ErrorCode::invalid) << bad;
  }
  EXPECT_EQ(s.inspect(std::string(5000, 'a')).code(), sdk::ErrorCode::invalid);
}

TEST_F(JwtTest, RefusesAlgorithmsOtherThanEs256) {
  JwtTokenStrategy es256(settings("k.pem"), *services.host);
  auto st = settings("k.pem");
  st.algorithm = "ES384";
  EXPECT_THROW(JwtTokenStrategy(st, *services.host), std::runtime_error);
  st.algorithm = "none";
  EXPECT_THROW(JwtTokenStrategy(st, *services.host), std::runtime_error);
}

TEST_F(JwtTest, EverySignatureIsExactly64Bytes) {
  // One signature in 128 has an R or S with a leading zero byte; 2000 tokens hit that ~15 times.
  auto st = settings();
  st.single_use = false;
  JwtTokenStrategy s(st, *services.host);
  for (int i = 0; i < 2000; ++i) {
    auto token = s.issue(grant())->token;
    auto signature = util::base64url_decode(token.substr(token.rfind('.') + 1));
    ASSERT_EQ(signature->size(), 64u) << "token " << i;
    ASSERT_TRUE(s.inspect(token).ok()) << "token " << i;
  }
}

}  // namespace
}  // namespace linkgate::plugins::jwt

namespace linkgate::plugins::jwt {
namespace {

// Replay records that may be written but never looked up: any look-up is a test failure.
class UnreadableKeys final : public sdk::ExpiringKeys {
 public:
  explicit UnreadableKeys(const sdk::Clock& clock) : inner_(clock) {}
  sdk::Result<bool> insert_if_absent(std::string_view key,
                                     std::int64_t expires_at) noexcept override {
    return inner_.insert_if_absent(key, expires_at);
  }
  sdk::Result<bool> contains(std::string_view) noexcept override {
    ++looked_up;
    return sdk::fail(sdk::ErrorCode::unavailable, "replay records are down for reads");
  }
  int looked_up = 0;

 private:
  host::MemoryExpiringKeys inner_;
};

TEST_F(JwtTest, ARedeemsLookUpLeavesTheReplayRecordToRedeem) {
  auto keys = std::make_shared<UnreadableKeys>(*services.clock);
  services.shared.expiring_keys = keys;
  services.host = std::make_unique<host::PluginServices>(services.shared, "jwt");
  JwtTokenStrategy s(settings(), *services.host);
  auto token = s.issue(grant())->token;

  auto looked = s.inspect_for_redeem(token);
  ASSERT_TRUE(looked.ok()) << looked.error().message;
  EXPECT_EQ(looked->flow_id, "flow-1");
  EXPECT_EQ(looked->subject, "usr_1");
  EXPECT_EQ(keys->looked_up, 0);
  ASSERT_TRUE(s.redeem(token).ok());

  // Single use stays redeem()'s: the record written above refuses the second.
  auto again = s.redeem(token);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.code(), sdk::ErrorCode::used);
  EXPECT_TRUE(s.inspect_for_redeem(token).ok()) << "the look-up leaves used to redeem()";
  EXPECT_EQ(keys->looked_up, 0);
  // inspect() (the confirm page) does read it, so it reports what it cannot read.
  auto shown = s.inspect(token);
  ASSERT_FALSE(shown.ok());
  EXPECT_EQ(shown.code(), sdk::ErrorCode::unavailable);
  EXPECT_EQ(keys->looked_up, 1);
}

TEST_F(JwtTest, ARedeemsLookUpRefusesWhatInspectRefuses) {
  JwtTokenStrategy s(settings(), *services.host);
  auto token = s.issue(grant(60))->token;
  std::string tampered = token;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  auto bad = s.inspect_for_redeem(tampered);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), sdk::ErrorCode::invalid);
  services.clock->advance(std::chrono::seconds(66));  // past expiry and the 5 s leeway
  auto late = s.inspect_for_redeem(token);
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.code(), sdk::ErrorCode::expired);
}

TEST_F(JwtTest, SingleUseHoldsAcrossInstancesSharingARedisReplayCache) {
  // Two hosts standing for two servers: the same key, replay caches in one Redis.
  auto redis = std::make_shared<redis::RedisClient>(testing::RedisServer::shared().url());
  linkgate::testing::TestServices a_services, b_services;
  for (auto* s : {&a_services, &b_services}) {
    s->shared.expiring_keys = std::make_shared<host::RedisExpiringKeys>(redis);
    s->host = std::make_unique<host::PluginServices>(s->shared, "jwt");
  }
  JwtTokenStrategy a(settings(), *a_services.host), b(settings(), *b_services.host);
  auto issued = a.issue(grant());
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(b.redeem(issued->token).ok());
  auto replay = a.redeem(issued->token);
  ASSERT_FALSE(replay.ok());
  EXPECT_EQ(replay.code(), sdk::ErrorCode::used);
}

}  // namespace
}  // namespace linkgate::plugins::jwt
