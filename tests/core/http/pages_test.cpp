#include "http/pages.h"

#include <gtest/gtest.h>

namespace linkgate::http {
namespace {

config::Settings::Branding branding() {
  return {};
}

TEST(Pages, OptionalPartsRenderNothingWhenEmpty) {
  auto b = branding();
  auto html = sign_in_page({b, "n0nce", "tok3n"}, "", "");
  EXPECT_EQ(html.find("<img"), std::string::npos) << "an empty src would fetch the page again";
  EXPECT_EQ(html.find("role=\"alert\""), std::string::npos);
  EXPECT_EQ(html.find("redirect_uri"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
}

TEST(Pages, EscapesEveryValue) {
  auto b = branding();
  b.title = "<script>alert(1)</script>";
  b.logo_url = "https://x/\"onerror=\"alert(1)";
  auto html = sign_in_page({b, "n0nce", "tok3n"}, "https://app/\"><script>", "<b>bad</b>");
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("\"onerror"), std::string::npos);
  EXPECT_EQ(html.find("\"><script>"), std::string::npos);
  EXPECT_EQ(html.find("<b>bad"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST(Pages, StyleAndScriptCarryTheNonce) {
  auto b = branding();
  auto html = check_inbox_page({b, "n0nce", "tok3n"}, "a***@example.com", "flow", "", 15, "");
  EXPECT_NE(html.find("<style nonce=\"n0nce\">"), std::string::npos);
  EXPECT_NE(html.find("<script nonce=\"n0nce\">"), std::string::npos);
  EXPECT_NE(content_security_policy("n0nce").find("script-src 'nonce-n0nce'"), std::string::npos);
  EXPECT_NE(html.find("expires in 15 minutes"), std::string::npos);
  EXPECT_EQ(check_inbox_page({b, "n", "tok3n"}, "x", "f", "", 0, "").find("expires in"),
            std::string::npos);
}

TEST(Pages, ConfirmPageContinuesOnlyInTheAskingBrowser) {
  auto b = branding();
  auto same = confirm_page({b, "n", "tok3n"}, "tok", "Firefox on Linux", "10:00 UTC", true);
  auto other = confirm_page({b, "n", "tok3n"}, "tok", "Firefox on Linux", "10:00 UTC", false);
  EXPECT_NE(same.find(".submit()"), std::string::npos);
  EXPECT_EQ(other.find(".submit()"), std::string::npos);
  EXPECT_NE(other.find("Firefox on Linux"), std::string::npos);
  EXPECT_NE(other.find("name=\"token\" value=\"tok\""), std::string::npos);
}

}  // namespace
}  // namespace linkgate::http

namespace linkgate::http {
namespace {

TEST(Pages, EveryFormCarriesTheCsrfToken) {
  auto b = config::Settings::Branding{};
  const PageContext page{b, "n", "tok3n"};
  for (const std::string& html :
       {sign_in_page(page, "", ""), check_inbox_page(page, "x", "f", "", 5, ""),
        confirm_page(page, "t", "d", "w", false), success_page(page, "who"),
        error_page(page, "h", "d", true)}) {
    std::size_t forms = 0, tokens = 0;
    for (auto at = html.find("<form"); at != std::string::npos; at = html.find("<form", at + 1))
      ++forms;
    const std::string hidden = "<input type=\"hidden\" name=\"csrf\" value=\"tok3n\">";
    for (auto at = html.find(hidden); at != std::string::npos; at = html.find(hidden, at + 1))
      ++tokens;
    EXPECT_GT(forms, 0u);
    EXPECT_EQ(tokens, forms) << html;
  }
}

}  // namespace
}  // namespace linkgate::http
