#include "http/user_agent_family.h"

#include <gtest/gtest.h>

namespace linkgate::http {
namespace {

TEST(UserAgentFamily, NamesScannersBeforeTheBrowsersTheyImitate) {
  // Real user agents, as mail-security scanners and browsers send them.
  EXPECT_EQ(
      user_agent_family("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                        "like Gecko) BingPreview/1.0b"),
      "bing_preview");
  EXPECT_EQ(user_agent_family("Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook "
                              "16.0.17328; Pro)"),
            "microsoft_office");
  EXPECT_EQ(user_agent_family("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like "
                              "Gecko) HeadlessChrome/120.0.0.0 Safari/537.36"),
            "headless_chrome");
  EXPECT_EQ(user_agent_family("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
                              "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0"),
            "edge");
  EXPECT_EQ(user_agent_family("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
                              "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"),
            "chrome");
  EXPECT_EQ(user_agent_family("Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) "
                              "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 "
                              "Safari/604.1"),
            "safari");
  EXPECT_EQ(user_agent_family("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 "
                              "Firefox/121.0"),
            "firefox");
  EXPECT_EQ(user_agent_family("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"),
            "slack");
  EXPECT_EQ(user_agent_family("curl/7.88.1"), "curl");
  EXPECT_EQ(user_agent_family("python-requests/2.31.0"), "python");
}

TEST(UserAgentFamily, TheLabelSetIsClosed) {
  EXPECT_EQ(user_agent_family(""), "none");
  EXPECT_EQ(user_agent_family("AcmeLinkChecker-bot/2"), "bot");
  EXPECT_EQ(user_agent_family("SomeCorp URL Scanner"), "bot");
  EXPECT_EQ(user_agent_family("x"), "other");
  // Whatever is sent, the label is one of a fixed set: never the header itself.
  EXPECT_EQ(user_agent_family("evil\"} 1\nlinkgate_fake_total 99"), "other");
  EXPECT_EQ(user_agent_family(std::string(100000, 'A')), "other");
}

}  // namespace
}  // namespace linkgate::http
