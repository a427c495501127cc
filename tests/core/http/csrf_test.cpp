#include "http/csrf.h"

#include <gtest/gtest.h>

namespace linkgate::http {
namespace {

const std::string kSecret(32, 's');
const std::string kCookie = "Zm9vYmFyYmF6cXV4cXV1eA";

TEST(Csrf, TheTokenIsBoundToTheCookieAndTheSecret) {
  const std::string token = csrf_token(kSecret, kCookie);
  EXPECT_TRUE(csrf_token_matches(kSecret, kCookie, token));
  EXPECT_FALSE(csrf_token_matches(kSecret, kCookie + "x", token));
  EXPECT_FALSE(csrf_token_matches(std::string(32, 't'), kCookie, token));
  EXPECT_FALSE(csrf_token_matches(kSecret, kCookie, token.substr(1)));
  EXPECT_FALSE(csrf_token_matches(kSecret, kCookie, ""));
  EXPECT_FALSE(csrf_token_matches(kSecret, "", csrf_token(kSecret, "")));
}

TEST(Csrf, OnlyThisServersOriginMayPost) {
  const std::string base = "https://auth.example.com";
  EXPECT_TRUE(origin_allowed("", base, "https", "auth.example.com"));
  EXPECT_TRUE(origin_allowed("https://auth.example.com", base, "https", "auth.example.com"));
  EXPECT_TRUE(origin_allowed("https://AUTH.example.com:443", base, "https", ""));
  EXPECT_TRUE(origin_allowed("http://127.0.0.1:9000", base, "http", "127.0.0.1:9000"));
  for (const char* bad :
       {"null", "https://evil.example.com", "http://auth.example.com",
        "https://auth.example.com.evil.com", "https://auth.example.com:8443", "garbage"}) {
    EXPECT_FALSE(origin_allowed(bad, base, "https", "auth.example.com")) << bad;
  }
}

}  // namespace
}  // namespace linkgate::http
