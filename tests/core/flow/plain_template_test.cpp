#include "flow/plain_template.h"

#include <gtest/gtest.h>
#include <kainjow/mustache.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "flow/message_templates.h"
#include "flow/mustache_values.h"
#include "support/temp_dir.h"
#include "util/files.h"

namespace linkgate::flow {
namespace {

namespace mustache = kainjow::mustache;
using Escape = PlainTemplate::Escape;

const std::string kShipped = std::string(LINKGATE_SOURCE_DIR) + "/configs/templates";

MessageValues hostile_values() {
  return {"https://id.example.com/v1/magic-links/confirm#token=a&b=<c>\"d\"'e'/f",
          "0123\r\n45",
          7,
          "Acme & <Sons>",
          "Sign \"in\"",
          "id.example.com"};
}

/// What kainjow renders for @p source, as MessageTemplates renders it when not compiled.
std::string kainjow_render(const std::string& source, Escape escape, const MessageValues& v) {
  mustache::mustache parsed(source);
  if (escape == Escape::none) parsed.set_custom_escape([](const std::string& s) { return s; });
  return parsed.render(mustache_values(v));
}

void expect_same_as_kainjow(const std::string& source) {
  for (auto escape : {Escape::none, Escape::html}) {
    auto compiled = PlainTemplate::compile(source, escape);
    ASSERT_TRUE(compiled) << source;
    EXPECT_EQ(compiled->render(hostile_values()), kainjow_render(source, escape, hostile_values()))
        << "template: " << source << (escape == Escape::html ? " (html)" : " (plain)");
  }
}

TEST(PlainTemplate, EveryShippedTemplateIsCompiledAndRendersAsKainjowDoes) {
  int files = 0;
  for (const auto& locale : std::filesystem::directory_iterator(kShipped)) {
    for (const auto& file : std::filesystem::directory_iterator(locale.path())) {
      auto source = util::read_file(file.path().string());
      ASSERT_TRUE(source);
      SCOPED_TRACE(file.path().string());
      expect_same_as_kainjow(*source);
      ++files;
    }
  }
  EXPECT_GE(files, 12) << "two locales of six files each";
}

TEST(PlainTemplate, TagsAsKainjowReadsThem) {
  for (const std::string source : {
           "",
           "no tags at all\r\nsecond line\n",
           "{{link}}",
           "[{{ link }}] [{{{ link }}}] [{{& link }}] [{{&link}}] [{{{link}}}]",
           "{{title}}{{app_name}}{{minutes}}{{code}}{{domain}}",
           "unknown: [{{nobody}}] [{{{nobody}}}] [{{& nobody}}] [{{}}] [{{ }}]",
           "a comment [{{! anything {{ here }] and on\n{{! its own line }}\nafter",
           "comments that name a value: [{{!link}}] [{{! code }}]",
           "{{{{link}}}}",
           "{{{link}}}}",
           "{{link}}}",
           "{ {link} } {{\tlink\n}}",
           "}} {{link}} }}} {",
           "{{{#link}}}",
           "{{{&link}}}",
           "{{ & link }}",
       }) {
    SCOPED_TRACE(source);
    ASSERT_TRUE(mustache::mustache(source).is_valid());
    expect_same_as_kainjow(source);
  }
}

TEST(PlainTemplate, LeavesEveryOtherTagToKainjow) {
  for (const std::string source : {
           "{{#link}}has a link{{/link}}",
           "{{^link}}none{{/link}}",
           "{{> partial}}",
           "{{=<% %>=}}<% link %>",
           "{{{=<% %>=}}}",
           "{{app.name}}",
           "{{.}}",
           "{{& a.b}}",
       }) {
    EXPECT_FALSE(PlainTemplate::compile(source, Escape::html)) << source;
    EXPECT_FALSE(PlainTemplate::compile(source, Escape::none)) << source;
  }
  EXPECT_FALSE(PlainTemplate::compile("unclosed {{link", Escape::none));
  EXPECT_FALSE(PlainTemplate::compile("unclosed {{{link}}", Escape::none));
}

// Templates made at random from the pieces that matter to the tag syntax: wherever kainjow accepts
// one and it compiles, the two render the same bytes.
TEST(PlainTemplate, RandomTemplatesRenderAsKainjowDoes) {
  const std::vector<std::string> pieces = {
      "{{",       "}}",    "{{{",    "}}}", "{",          "}",   " ",    "\t",   "\n",
      "\r\n",     "&",     "!",      "#",   "/",          ".",   "link", "code", "minutes",
      "app_name", "title", "domain", "x",   "<a href=\"", "\">", "é"};
  std::mt19937 random(20261202);
  int compiled = 0;
  int valid = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string source;
    const int length = 1 + static_cast<int>(random() % 12);
    for (int j = 0; j < length; ++j) source += pieces[random() % pieces.size()];
    if (!mustache::mustache(source).is_valid()) {
      EXPECT_FALSE(PlainTemplate::compile(source, Escape::html)) << source;
      continue;
    }
    ++valid;
    for (auto escape : {Escape::none, Escape::html}) {
      auto plain = PlainTemplate::compile(source, escape);
      if (!plain) continue;
      ++compiled;
      ASSERT_EQ(plain->render(hostile_values()), kainjow_render(source, escape, hostile_values()))
          << "template: " << source;
    }
  }
  EXPECT_GT(valid, 5000);
  EXPECT_GT(compiled, valid) << "most valid ones compile, in both escapes";
}

TEST(PlainTemplate, MessageTemplatesRenderACompiledAndAKainjowTemplateAlike) {
  // The same message from a locale whose HTML has a section (kainjow) and one without.
  testing::TempDir folder;
  const auto& dir = folder.path();
  for (const char* locale : {"en", "xx"}) {
    std::filesystem::create_directories(dir / locale);
    for (const char* file : {"email.subject", "email.txt", "email.html", "sms.txt"}) {
      std::string content = util::read_file(kShipped + "/en/" + file).value_or("");
      if (std::string(locale) == "xx" && std::string(file) == "email.html")
        content = "{{#link}}" + content + "{{/link}}";
      std::ofstream(dir / locale / file) << content;
    }
  }
  MessageTemplates templates(dir.string(), "en");
  auto plain = templates.render(sdk::AddressKind::email, hostile_values(), {"en"});
  auto sectioned = templates.render(sdk::AddressKind::email, hostile_values(), {"xx"});
  EXPECT_EQ(plain.html, sectioned.html);
  EXPECT_EQ(plain.text, sectioned.text);
  EXPECT_NE(plain.html.find("Acme &amp; &lt;Sons&gt;"), std::string::npos);
}

}  // namespace
}  // namespace linkgate::flow
