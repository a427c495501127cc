#include <gtest/gtest.h>

#include "http/body_fields.h"
#include "http/exchange.h"

namespace linkgate::http {
namespace {

TEST(JsonFields, ReadsAFlatObject) {
  auto f =
      parse_json_fields(R"({"identifier":"a@example.com","code":123456,"flag":true,"none":null})");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->at("identifier"), "a@example.com");
  EXPECT_EQ(f->at("code"), "123456");
  EXPECT_EQ(f->at("flag"), "true");
  EXPECT_EQ(f->count("none"), 0u);
}

TEST(JsonFields, RefusesWhatIsNotAFlatObject) {
  for (const char* bad :
       {"", "{", "[]", "\"s\"", "1", "{\"a\":{}}", "{\"a\":[1]}", "{\"a\":\"b\"} trailing",
        "{'a':'b'}", "{\"a\":\"\\ud800\"", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}) {
    auto refused = parse_json_fields(bad);
    EXPECT_FALSE(refused.ok()) << bad;
    EXPECT_FALSE(refused.error().message.empty()) << bad;
  }
}

TEST(JsonFields, QuotedBracesAreNotNesting) {
  auto f = parse_json_fields(R"({"a":"{[\"x\"]}"})");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->at("a"), "{[\"x\"]}");
}

TEST(FormFields, DecodesPairs) {
  auto f =
      parse_form_fields("identifier=a%40example.com&redirect_uri=https%3A%2F%2Fx%2F&empty=&flag");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->at("identifier"), "a@example.com");
  EXPECT_EQ(f->at("redirect_uri"), "https://x/");
  EXPECT_EQ(f->at("empty"), "");
  EXPECT_EQ(f->at("flag"), "");
  EXPECT_EQ(parse_form_fields("a=1+2")->at("a"), "1 2");
  EXPECT_EQ(parse_form_fields("identifier=a%2Bb%40example.com")->at("identifier"),
            "a+b@example.com");
}

TEST(FormFields, RefusesTooManyFieldsAndBadEncoding) {
  std::string many;
  for (int i = 0; i < 40; ++i) many += "f" + std::to_string(i) + "=x&";
  EXPECT_FALSE(parse_form_fields(many).ok());
  EXPECT_FALSE(parse_form_fields("a=%zz").ok());
}

TEST(ErrorHeading, NamesEachOutcome) {
  EXPECT_EQ(error_heading("expired_token"), "This link has expired");
  EXPECT_EQ(error_heading("used_token"), "This link was already used");
  EXPECT_EQ(error_heading("whatever"), "Something went wrong");
}

}  // namespace
}  // namespace linkgate::http
