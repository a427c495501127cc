#include <Poco/Crypto/ECKey.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <thread>

#include "host/expiring_keys.h"
#include "host/host_services.h"
#include "session/session_tokens.h"
#include "session/signing_keys.h"
#include "support/temp_dir.h"
#include "util/base64url.h"
#include "util/crypto.h"

namespace linkgate::session {
namespace {

using namespace std::chrono;

class SessionTest : public ::testing::Test {
 protected:
  SessionTest() {
    shared.log = std::make_shared<host::Log>(sdk::LogLevel::error, false, log_text);
    shared.clock = clock;
    shared.random = std::make_shared<host::OpenSslRandom>();
    shared.metrics = std::make_shared<host::MetricsRegistry>();
    shared.expiring_keys = std::make_shared<host::MemoryExpiringKeys>(*clock);
    shared.http = std::make_shared<host::PocoHttpClient>();
    services = std::make_unique<host::PluginServices>(shared, "core");
  }
  std::ostringstream log_text;
  std::shared_ptr<host::ManualClock> clock = std::make_shared<host::ManualClock>();
  host::SharedServices shared;
  std::unique_ptr<host::PluginServices> services;
  linkgate::testing::TempDir dir;
};

TEST_F(SessionTest, GeneratesAPrivateKeyOnFirstStartAndReusesIt) {
  std::string first_kid;
  {
    SigningKeys keys(dir.file("keys"), hours(24 * 30), hours(1), *clock);
    first_kid = keys.current()->kid;
    auto perms = std::filesystem::status(keys.current()->file).permissions();
    EXPECT_EQ(perms & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
  SigningKeys again(dir.file("keys"), hours(24 * 30), hours(1), *clock);
  EXPECT_EQ(again.current()->kid, first_kid);
}

TEST_F(SessionTest, JwksPublishesP256KeysWithThumbprintKids) {
  SigningKeys keys(dir.file("keys"), hours(24 * 30), hours(1), *clock);
  auto jwks = keys.jwks_json();
  EXPECT_NE(jwks.find("\"kty\":\"EC\""), std::string::npos);
  EXPECT_NE(jwks.find("\"crv\":\"P-256\""), std::string::npos);
  EXPECT_NE(jwks.find("\"kid\":\"" + keys.current()->kid + "\""), std::string::npos);
  EXPECT_EQ(jwks.find("\"d\""), std::string::npos) << "never the private part";
  EXPECT_EQ(util::base64url_decode(keys.current()->kid)->size(), 32u);
}

TEST_F(SessionTest, RotationKeepsOldKeysUntilTheirTokensExpire) {
  SigningKeys keys(dir.file("keys"), hours(24), hours(1), *clock);
  SessionTokens tokens(keys, "https://id.example.com", "linkgate", hours(1), *services);
  auto old_token = tokens.issue({"u1", "a@example.com", "", ""});
  auto old_kid = keys.current()->kid;
  clock->advance(hours(25));
  keys.maintain();
  EXPECT_NE(keys.current()->kid, old_kid) << "rotated after rotate_every";
  EXPECT_NE(keys.jwks_json().find(old_kid), std::string::npos) << "old key still published";
  clock->advance(hours(2));
  keys.maintain();
  EXPECT_EQ(keys.jwks_json().find(old_kid), std::string::npos)
      << "old key gone once its tokens expired";
}

TEST_F(SessionTest, StartingAgainDropsKeysNoTokenCanNeed) {
  std::string old_kid, old_file;
  {
    SigningKeys keys(dir.file("keys"), hours(24), hours(1), *clock);
    old_kid = keys.current()->kid;
    old_file = keys.current()->file;
  }
  clock->advance(hours(24));
  { SigningKeys rotated(dir.file("keys"), hours(24), hours(1), *clock); }  // a restart rotates
  clock->advance(hours(2));
  SigningKeys restarted(dir.file("keys"), hours(24), hours(1), *clock);  // and later prunes
  EXPECT_EQ(restarted.jwks_json().find(old_kid), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(old_file));
}

TEST_F(SessionTest, IssuesAndVerifiesAccessTokens) {
  SigningKeys keys(dir.file("keys"), hours(24 * 30), hours(1), *clock);
  SessionTokens tokens(keys, "https://id.example.com", "linkgate", hours(1), *services);
  auto issued = tokens.issue({"usr_1", "a@example.com", "+15551234567", ""}).value();
  EXPECT_EQ(issued.expires_at, clock->now_seconds() + 3600);
  auto claims = tokens.verify(issued.token);
  ASSERT_TRUE(claims.ok()) << claims.error().message;
  EXPECT_EQ(claims->sub, "usr_1");
  EXPECT_EQ(claims->email, "a@example.com");
  EXPECT_EQ(claims->phone, "+15551234567");
}

TEST_F(SessionTest, RefusesExpiredRevokedTamperedAndForeignTokens) {
  SigningKeys keys(dir.file("keys"), hours(24 * 30), hours(1), *clock);
  SessionTokens tokens(keys, "https://id.example.com", "linkgate", hours(1), *services);
  auto issued = tokens.issue({"usr_1", "a@example.com", "", ""}).value();

  std::string tampered = issued.token;
  tampered[tampered.find('.') + 5] ^= 1;
  EXPECT_FALSE(tokens.verify(tampered).ok());

  SigningKeys other(dir.file("other-keys"), hours(24 * 30), hours(1), *clock);
  SessionTokens foreign(other, "https://id.example.com", "linkgate", hours(1), *services);
  EXPECT_FALSE(tokens.verify(foreign.issue({"usr_1", "", "", ""})->token).ok());

  SessionTokens other_audience(keys, "https://id.example.com", "another-app", hours(1), *services);
  EXPECT_FALSE(tokens.verify(other_audience.issue({"usr_1", "", "", ""})->token).ok());

  auto claims = tokens.verify(issued.token);
  ASSERT_TRUE(claims.ok());
  ASSERT_TRUE(tokens.revoke(claims.value()).ok());
  EXPECT_EQ(tokens.verify(issued.token).code(), sdk::ErrorCode::used);

  auto fresh = tokens.issue({"usr_2", "", "", ""}).value();
  clock->advance(seconds(3600 + 6));
  EXPECT_EQ(tokens.verify(fresh.token).code(), sdk::ErrorCode::expired);
  EXPECT_FALSE(tokens.verify("").ok());
  EXPECT_FALSE(tokens.verify("not.a.jwt").ok());
}

// The header is read without a parser only in the exact form issue() writes; any other JSON for
// the same fields is read by the parser (and must still be signed by a key of ours).
TEST_F(SessionTest, AHeaderInAnotherFormIsReadByTheParser) {
  SigningKeys keys(dir.file("keys"), hours(24 * 30), hours(1), *clock);
  SessionTokens tokens(keys, "https://id.example.com", "linkgate", hours(1), *services);
  const auto good = tokens.issue({"usr_1", "a@example.com", "", ""})->token;
  const auto payload = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  const std::string kid = keys.current()->kid;
  const auto signed_with = [&](const std::string& header_json) {
    const std::string input = util::base64url_encode(header_json) + "." + payload;
    return input + "." + util::base64url_encode(keys.current()->es256->sign(input));
  };
  EXPECT_TRUE(tokens.verify(signed_with(R"({"kid":")" + kid + R"(","alg":"ES256"})")).ok());
  EXPECT_TRUE(
      tokens.verify(signed_with(R"({ "alg": "ES256", "typ": "JWT", "kid": ")" + kid + R"(" })"))
          .ok());
  EXPECT_EQ(tokens.verify(signed_with(R"({"alg":"ES256","typ":"JWT","kid":"nobody"})")).code(),
            sdk::ErrorCode::invalid);
  EXPECT_EQ(
      tokens.verify(signed_with(R"({"alg":"ES256","typ":"JWT","kid":")" + kid + R"(\u0000"})"))
          .code(),
      sdk::ErrorCode::invalid);
  EXPECT_EQ(
      tokens.verify(signed_with(R"({"alg":"ES384","typ":"JWT","kid":")" + kid + R"("})")).code(),
      sdk::ErrorCode::invalid);
  EXPECT_EQ(tokens.verify(signed_with(R"({"alg":"ES256","typ":"JWT","kid":""})")).code(),
            sdk::ErrorCode::invalid);
}

TEST_F(SessionTest, RefusesAlgNoneAndHs256) {
  SigningKeys keys(dir.file("keys"), hours(24 * 30), hours(1), *clock);
  SessionTokens tokens(keys, "https://id.example.com", "linkgate", hours(1), *services);
  auto good = tokens.issue({"usr_1", "", "", ""})->token;
  auto payload = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  std::string kid = keys.current()->kid;
  auto none =
      util::base64url_encode(R"({"alg":"none","kid":")" + kid + "\"}") + "." + payload + ".";
  EXPECT_FALSE(tokens.verify(none).ok());

  // Algorithm confusion: a verifier that takes the algorithm from the token would check an HS256
  // signature with the public key as the HMAC secret. Forge exactly that, with the real public
  // key in each form a confused verifier might use (PEM, JWK), and prove the forgery is a valid
  // HS256 token under that secret before asserting it is refused.
  Poco::Crypto::ECKey key("", keys.current()->file, "");
  std::ostringstream pem;
  key.save(&pem);
  ASSERT_NE(pem.str().find("BEGIN PUBLIC KEY"), std::string::npos);
  for (const std::string& secret : {pem.str(), keys.current()->public_jwk}) {
    const std::string signing_input =
        util::base64url_encode(R"({"alg":"HS256","typ":"JWT","kid":")" + kid + "\"}") + "." +
        payload;
    const std::string forged =
        signing_input + "." + util::base64url_encode(util::hmac_sha256(secret, signing_input));
    Poco::JWT::Signer confused(secret);
    Poco::JWT::Token decoded;
    ASSERT_TRUE(confused.tryVerify(forged, decoded)) << "the forgery must be a real HS256 token";
    EXPECT_EQ(tokens.verify(forged).code(), sdk::ErrorCode::invalid);
  }
}

}  // namespace
}  // namespace linkgate::session

namespace linkgate::session {
namespace {

TEST(SigningKeysSharing, ARotationAnywhereIsFollowedByEveryInstance) {
  testing::TempDir dir;
  host::ManualClock clock;
  SigningKeys a(dir.file("keys"), std::chrono::hours(24), std::chrono::hours(1), clock);
  SigningKeys b(dir.file("keys"), std::chrono::hours(24), std::chrono::hours(1), clock);
  const std::string old_kid = a.current()->kid;
  ASSERT_EQ(b.current()->kid, old_kid);
  auto made = b.rotate();  // what `linkgate keys rotate` does, from another process
  EXPECT_NE(made->kid, old_kid);
  EXPECT_NE(a.find(made->kid), nullptr) << "a token signed by the new key verifies at once";
  EXPECT_EQ(a.current()->kid, made->kid) << "and the new key signs";
  EXPECT_NE(a.jwks_json().find(old_kid), std::string::npos) << "old key still published";
  EXPECT_EQ(a.find("no-such-kid"), nullptr);
}

TEST(SigningKeysSharing, ALongRunningInstanceRotatesOnTime) {
  testing::TempDir dir;
  host::ManualClock clock;
  SigningKeys keys(dir.file("keys"), std::chrono::hours(24), std::chrono::hours(1), clock);
  const std::string first = keys.current()->kid;
  clock.advance(std::chrono::hours(25));
  // No restart, no maintain() call: the once-a-minute check (its one-second gate passed) does it.
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_NE(keys.current()->kid, first);
}

}  // namespace
}  // namespace linkgate::session
