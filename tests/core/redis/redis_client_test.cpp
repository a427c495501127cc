// The Redis client against real servers: a plain one, and one that takes only TLS and only an
// ACL user's password, as production Redis is run.

#include "redis/redis_client.h"

#include <gtest/gtest.h>

#include "support/redis_server.h"
#include "support/temp_dir.h"

namespace linkgate::redis {
namespace {

using testing::RedisServer;

/// What ping() says when it fails; "" when it does not.
std::string failure_of(const std::string& url) {
  try {
    RedisClient(url).ping();
    return "";
  } catch (const std::runtime_error& e) {
    return e.what();
  }
}

TEST(RedisUrl, ReadsEveryPart) {
  auto e = parse_url("rediss://app:p%40ss%3Aword@cache.internal:6380/3?ca_file=/etc/ca.pem");
  EXPECT_TRUE(e.tls);
  EXPECT_EQ(e.host, "cache.internal");
  EXPECT_EQ(e.port, 6380);
  EXPECT_EQ(e.user, "app");
  EXPECT_EQ(e.password, "p@ss:word");
  EXPECT_EQ(e.database, "3");
  EXPECT_EQ(e.ca_file, "/etc/ca.pem");
  auto plain = parse_url("redis://localhost");
  EXPECT_FALSE(plain.tls);
  EXPECT_EQ(plain.port, 6379);
  EXPECT_TRUE(plain.password.empty());
  EXPECT_EQ(parse_url("redis://:only-a-password@h:1").password, "only-a-password");
  EXPECT_TRUE(parse_url("redis://:only-a-password@h:1").user.empty());
}

TEST(RedisUrl, RefusesWhatItCannotUseWithoutShowingThePassword) {
  for (const char* bad : {"http://h:1", "redis://", "redis://h:1/x", "redis://h:1?ssl=true",
                          "redis://h:1?ca_file=/ca.pem", "memcached://h"}) {
    EXPECT_THROW(parse_url(bad), std::invalid_argument) << bad;
  }
  try {
    parse_url("redis://u:hunter2@h:1/x");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("hunter2"), std::string::npos) << e.what();
  }
}

TEST(RedisClient, SpeaksTlsAndAuthenticatesAsAnAclUser) {
  RedisClient client(RedisServer::secured().url());
  client.ping();
  Poco::Redis::Array set, get;
  set << "SET"
      << "lg:test:tls"
      << "over tls";
  client.run(set);
  get << "GET"
      << "lg:test:tls";
  EXPECT_EQ(RedisClient::bulk(client.run(get)), "over tls");
}

TEST(RedisClient, AWrongPasswordIsRefusedAndNotRepeated) {
  const std::string url = RedisServer::secured().url();
  std::string wrong = url;
  wrong.replace(wrong.find("p%40ss"), 6, "nope!!");
  RedisClient client(wrong);
  try {
    client.ping();
    FAIL() << "a wrong password was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("authentication refused"), std::string::npos) << e.what();
    EXPECT_EQ(std::string(e.what()).find("nope!!"), std::string::npos) << e.what();
  }
}

TEST(RedisClient, WithoutTheRightCaTheServerIsNotTrusted) {
  // The system's CAs do not know the test CA: the handshake fails, nothing is sent.
  std::string url = RedisServer::secured().url();
  url = url.substr(0, url.find('?'));
  EXPECT_EQ(failure_of(url).find("authentication"), std::string::npos) << failure_of(url);
  EXPECT_FALSE(failure_of(url).empty());
  // Plain RESP to a TLS-only port gets nowhere either.
  std::string plain = "redis://127.0.0.1:" + std::to_string(RedisServer::secured().port());
  EXPECT_THROW(RedisClient(plain).ping(), std::runtime_error);
}

TEST(RedisClient, TheCertificateMustNameTheHost) {
  // The certificate is for localhost and 127.0.0.1; reached as another name, it is refused.
  std::string url = RedisServer::secured().url();
  url.replace(url.find("@localhost"), 10, "@127.0.0.2");
  const std::string why = failure_of(url);
  EXPECT_FALSE(why.empty()) << "a certificate for another name was trusted";
  EXPECT_EQ(why.find("authentication"), std::string::npos) << why;
  EXPECT_EQ(why.find("refused"), std::string::npos) << "it must get as far as TLS: " << why;
}

}  // namespace
}  // namespace linkgate::redis
