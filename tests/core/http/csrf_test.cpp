#include "http/csrf.h"

#include <gtest/gtest.h>

namespace linkgate::http {
namespace {

const std::string kSecret(32, 's');
const std::string kCookie = new_csrf_cookie(kSecret);

TEST(Csrf, TheTokenIsBoundToTheCookieAndTheSecret) {
  const std::string token = csrf_token(kSecret, kCookie);
  EXPECT_TRUE(csrf_token_matches(kSecret, kCookie, token));
  EXPECT_FALSE(csrf_token_matches(kSecret, kCookie + "x", token));
  EXPECT_FALSE(csrf_token_matches(std::string(32, 't'), kCookie, token));
  EXPECT_FALSE(csrf_token_matches(kSecret, kCookie, token.substr(1)));
  EXPECT_FALSE(csrf_token_matches(kSecret, kCookie, ""));
  EXPECT_FALSE(csrf_token_matches(kSecret, "", csrf_token(kSecret, "")));
}

TEST(Csrf, OnlyCookiesThisServerIssuedGetATokenThatMatches) {
  EXPECT_TRUE(csrf_cookie_valid(kSecret, kCookie));
  EXPECT_NE(new_csrf_cookie(kSecret), kCookie) << "random";
  // A sibling domain plants a value of its choosing and computes nothing: no token matches it,
  // not even one the server would derive for it.
  const std::string planted = "attacker-chosen-value-0123456789";
  EXPECT_FALSE(csrf_cookie_valid(kSecret, planted));
  EXPECT_FALSE(csrf_token_matches(kSecret, planted, csrf_token(kSecret, planted)));
  std::string tampered = kCookie;
  tampered[3] = tampered[3] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(csrf_cookie_valid(kSecret, tampered));
  EXPECT_FALSE(csrf_cookie_valid(std::string(32, 't'), kCookie)) << "another server's secret";
  EXPECT_FALSE(csrf_cookie_valid(kSecret, kCookie.substr(0, 24)));
  EXPECT_EQ(csrf_cookie_name(true), "__Host-lg_csrf");
  EXPECT_EQ(csrf_cookie_name(false), "lg_csrf");
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
