#include "flow/message_templates.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

#include "flow/device.h"
#include "support/temp_dir.h"

namespace linkgate::flow {
namespace {

const std::string kShipped = std::string(LINKGATE_SOURCE_DIR) + "/configs/templates";

MessageValues values() {
  return {"https://id.example.com/v1/magic-links/verify?token=abc&x=\"1\"",
          "123456",
          15,
          "Acme",
          "Sign in",
          "id.example.com"};
}

TEST(MessageTemplates, RendersEmailWithLinkCodeAndMinutes) {
  MessageTemplates t(kShipped, "en");
  auto m = t.render(sdk::AddressKind::email, values(), {});
  EXPECT_EQ(m.locale, "en");
  EXPECT_EQ(m.subject, "Your sign-in link for Acme");
  EXPECT_NE(m.text.find("https://id.example.com/v1/magic-links/verify?token=abc&x=\"1\""),
            std::string::npos)
      << "plain text is not HTML-escaped";
  EXPECT_NE(m.text.find("123456"), std::string::npos);
  EXPECT_NE(m.text.find("15 minutes"), std::string::npos);
  EXPECT_NE(
      m.html.find(
          "href=\"https://id.example.com/v1/magic-links/verify?token=abc&amp;x=&quot;1&quot;\""),
      std::string::npos)
      << "HTML values are escaped by mustache";
}

TEST(MessageTemplates, SmsEndsWithTheWebOtpLine) {
  MessageTemplates t(kShipped, "en");
  auto m = t.render(sdk::AddressKind::phone, values(), {});
  auto last_line = m.text.substr(m.text.rfind('\n') + 1);
  EXPECT_EQ(last_line, "@id.example.com #123456");
  EXPECT_TRUE(m.subject.empty());
  EXPECT_LE(m.text.size(), 306u) << "two SMS segments at most";
}

TEST(MessageTemplates, ChoosesTheLocaleWithFallback) {
  MessageTemplates t(kShipped, "en");
  EXPECT_EQ(t.render(sdk::AddressKind::email, values(), {"de-CH", "en"}).locale, "de");
  EXPECT_EQ(t.render(sdk::AddressKind::email, values(), {"fr"}).locale, "en");
  EXPECT_NE(t.render(sdk::AddressKind::email, values(), {"de"}).subject.find("Anmeldelink"),
            std::string::npos);
}

TEST(MessageTemplates, SubjectNeverCarriesALineBreak) {
  linkgate::testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "en");
  std::ofstream(dir.path() / "en/email.subject") << "Hi {{app_name}}\n";
  std::ofstream(dir.path() / "en/email.txt") << "{{link}}";
  std::ofstream(dir.path() / "en/email.html") << "{{link}}";
  std::ofstream(dir.path() / "en/sms.txt") << "{{code}}";
  MessageTemplates t(dir.path().string(), "en");
  auto v = values();
  v.app_name = "Evil\r\nBcc: victim@example.com";
  auto m = t.render(sdk::AddressKind::email, v, {});
  EXPECT_EQ(m.subject.find_first_of("\r\n"), std::string::npos);
  // The notice to an unknown address: built in where a locale has none, and also one line.
  auto notice = t.render_unknown(v, {});
  EXPECT_EQ(notice.subject.find_first_of("\r\n"), std::string::npos);
  EXPECT_NE(notice.text.find("no account"), std::string::npos);
  EXPECT_EQ(notice.text.find(v.link), std::string::npos);
  EXPECT_EQ(notice.text.find(v.code), std::string::npos);
}

TEST(MessageTemplates, TheUnknownAddressNoticeIsShippedPerLocale) {
  MessageTemplates t(std::string(LINKGATE_SOURCE_DIR) + "/configs/templates", "en");
  EXPECT_NE(t.render_unknown(values(), {"de"}).subject.find("Anmeldeversuch"), std::string::npos);
  EXPECT_NE(t.render_unknown(values(), {"en"}).subject.find("Sign-in attempt"), std::string::npos);
}

TEST(MessageTemplates, RefusesMissingOrBrokenTemplates) {
  linkgate::testing::TempDir dir;
  EXPECT_THROW(MessageTemplates(dir.path().string(), "en"), std::runtime_error);
  std::filesystem::create_directories(dir.path() / "en");
  std::ofstream(dir.path() / "en/email.subject") << "{{#unclosed}}";
  try {
    MessageTemplates t(dir.path().string(), "en");
    FAIL() << "should have thrown";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("email.subject"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("email.txt: missing"), std::string::npos) << e.what();
  }
}

void write_templates(const std::filesystem::path& dir, const std::string& word) {
  std::filesystem::create_directories(dir / "en");
  std::ofstream(dir / "en/email.subject") << word << " {{app_name}}";
  std::ofstream(dir / "en/email.txt") << word << " {{link}}";
  std::ofstream(dir / "en/email.html") << word << " {{link}}";
  std::ofstream(dir / "en/sms.txt") << word << " {{code}}";
}

TEST(MessageTemplates, TemplatesLoadedInPlaceOfOthersAreTheOnesRendered) {
  // Each thread keeps the templates it parsed: one set loaded where another was (a reload) must
  // not be rendered from the other's.
  linkgate::testing::TempDir dir;
  write_templates(dir.path() / "first", "First");
  write_templates(dir.path() / "second", "Second");
  std::optional<MessageTemplates> t;
  t.emplace((dir.path() / "first").string(), "en");
  EXPECT_EQ(t->render(sdk::AddressKind::email, values(), {}).subject, "First Acme");
  t.reset();
  t.emplace((dir.path() / "second").string(), "en");
  const auto m = t->render(sdk::AddressKind::email, values(), {});
  EXPECT_EQ(m.subject, "Second Acme");
  EXPECT_EQ(m.text, "Second " + values().link);
  EXPECT_EQ(t->render(sdk::AddressKind::phone, values(), {}).text, "Second 123456");
}

TEST(MessageTemplates, ManyThreadsRenderingAtOnceEachGetTheirOwnMessage) {
  const MessageTemplates t(kShipped, "en");
  constexpr int kThreads = 8, kEach = 300;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      for (int n = 0; n < kEach; ++n) {
        auto v = values();
        v.link = "https://id.example.com/l/" + std::to_string(i) + "-" + std::to_string(n) + "<&>";
        v.code = std::to_string(100000 + i * kEach + n);
        const auto m = t.render(n % 2 ? sdk::AddressKind::phone : sdk::AddressKind::email, v,
                                {n % 3 ? "en" : "de"});
        const bool html_ok = n % 2 || (m.html.find(v.link) == std::string::npos &&
                                       m.html.find("&lt;&amp;&gt;") != std::string::npos);
        if (m.text.find(v.link) == std::string::npos && !(n % 2)) ++wrong;
        if (m.text.find(v.code) == std::string::npos || !html_ok) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(AcceptLanguage, OrdersByQuality) {
  auto tags = parse_accept_language("fr;q=0.5, de-CH, en;q=0.9, *;q=0.1");
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags[0], "de-CH");
  EXPECT_EQ(tags[1], "en");
  EXPECT_EQ(tags[2], "fr");
  EXPECT_TRUE(parse_accept_language("<script>").empty());
}

TEST(Device, DescribesCommonUserAgents) {
  EXPECT_EQ(
      describe_device("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"),
      "Firefox on Linux");
  EXPECT_EQ(
      describe_device("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
                      "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"),
      "Safari on iPhone");
  EXPECT_EQ(describe_device(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/120.0 Safari/537.36 Edg/120.0"),
            "Edge on Windows");
  EXPECT_EQ(describe_device("curl/8.0"), "curl");
  EXPECT_EQ(describe_device(""), "an unknown device");
}

}  // namespace
}  // namespace linkgate::flow
