#include "flow/redirect_policy.h"

#include <gtest/gtest.h>

namespace linkgate::flow {
namespace {

TEST(RedirectPolicy, AllowsMatchingSchemeHostPortAndPath) {
  RedirectPolicy p({"https://app.example.com/*", "http://localhost:3000/callback"});
  EXPECT_TRUE(p.allows("https://app.example.com/done"));
  EXPECT_TRUE(p.allows("https://app.example.com/"));
  EXPECT_TRUE(p.allows("https://app.example.com"));
  EXPECT_TRUE(p.allows("https://APP.example.com/x?y=1#z"));
  EXPECT_TRUE(p.allows("https://app.example.com:443/deep/path"));
  EXPECT_TRUE(p.allows("http://localhost:3000/callback"));
  EXPECT_FALSE(p.allows("http://localhost:3000/callback/more"));
  EXPECT_FALSE(p.allows("http://localhost:3001/callback"));
}

TEST(RedirectPolicy, RefusesOtherHostsAndSchemes) {
  RedirectPolicy p({"https://app.example.com/*"});
  for (const char* bad :
       {"http://app.example.com/done", "https://evil.com/", "https://app.example.com.evil.com/",
        "https://evilapp.example.com/", "https://app.example.com:8443/", "javascript:alert(1)",
        "data:text/html,hi", "//evil.com/", "/relative", "ftp://app.example.com/"}) {
    EXPECT_FALSE(p.allows(bad)) << bad;
  }
}

TEST(RedirectPolicy, RefusesParserConfusion) {
  RedirectPolicy p({"https://app.example.com/*"});
  for (const char* bad :
       {"https://app.example.com@evil.com/", "https://user:pass@app.example.com/",
        "https://evil.com\\@app.example.com/", "https://app.example.com\\evil.com",
        "https://app.example.com/%0d%0aSet-Cookie:x", "https://app.example.com/a%00b",
        "https://app.example.com//evil.com", "https://app.example.com/ x",
        "https://app.example.com/\r\n", "https://аpp.example.com/",
        "https://app.example.com%2eevil.com/", "https://app.example.com/a/../../x",
        "https://app.example.com/%2e%2e/x", "https://app.example.com/%zz",
        "https://app.example.com:99999/"}) {
    EXPECT_FALSE(p.allows(bad)) << bad;
  }
}

TEST(RedirectPolicy, PathPrefixCannotBeEscapedWithDotSegments) {
  RedirectPolicy p({"https://app.example.com/app/*"});
  EXPECT_TRUE(p.allows("https://app.example.com/app/home"));
  EXPECT_FALSE(p.allows("https://app.example.com/app/../admin"));
  EXPECT_FALSE(p.allows("https://app.example.com/other"));
}

TEST(RedirectPolicy, ListsPatternsThatAreNotUrls) {
  RedirectPolicy p({"app.example.com", "https://ok.example.com/*"});
  ASSERT_EQ(p.invalid_patterns().size(), 1u);
  EXPECT_EQ(p.invalid_patterns()[0], "app.example.com");
}

TEST(Glob, MatchesStars) {
  EXPECT_TRUE(glob_match("/cb*", "/cb"));
  EXPECT_TRUE(glob_match("/cb*", "/cb/done"));
  EXPECT_FALSE(glob_match("/cb*", "/cbevil"));
  EXPECT_FALSE(glob_match("/a/*/c", "/a/b/x/c")) << "an inner * stays within a segment";
  EXPECT_TRUE(glob_match("/*", "/a/b"));
  EXPECT_TRUE(glob_match("/a/*/c", "/a/b/c"));
  EXPECT_FALSE(glob_match("/a/*/c", "/a/b/d"));
  EXPECT_TRUE(glob_match("/exact", "/exact"));
  EXPECT_FALSE(glob_match("/exact", "/exact2"));
}

TEST(RedirectPolicy, APrefixPatternAdmitsWholeSegmentsAndNoTricks) {
  RedirectPolicy p({"https://app.example.com/cb*"});
  EXPECT_TRUE(p.allows("https://app.example.com/cb"));
  EXPECT_TRUE(p.allows("https://app.example.com/cb/done?x=1"));
  EXPECT_FALSE(p.allows("https://app.example.com?cb=1")) << "no path at all (a fuzzer's find)";
  for (const char* bad : {"https://app.example.com/cbevil", "https://app.example.com/cb//evil.com",
                          "https://app.example.com/cb/..;/x", "https://app.example.com/cb/.;/x",
                          "https://app.example.com/cb/%2e%2e/x", "https://app.example.com/cb%2fx",
                          "https://app.example.com/cb%5c..%5cx", "https://app.example.com/cb%3b/x",
                          "https://app.example.com/cb/x//y"}) {
    EXPECT_FALSE(p.allows(bad)) << bad;
  }
}

}  // namespace
}  // namespace linkgate::flow
