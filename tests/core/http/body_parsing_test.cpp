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

TEST(JsonFields, AMemberNamedTwiceIsRefused) {
  // Which of the two counts depends on the parser; a proxy or firewall in front could check
  // the first while the server used the last.
  auto refused =
      parse_json_fields(R"({"identifier":"a@example.com","identifier":"b@example.com"})");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("named once"), std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(parse_json_fields(R"({"a":"x","a":null})").ok());
}

TEST(JsonFields, SaysWhyABodyIsRefused) {
  EXPECT_EQ(parse_json_fields("[\"a\"]").error().message, "the body must be a JSON object");
  EXPECT_EQ(parse_json_fields(" 1").error().message, "the body must be a JSON object");
  EXPECT_EQ(parse_json_fields(R"({"a":{"b":1}})").error().message,
            "nested JSON values are not accepted");
  EXPECT_NE(parse_json_fields("{\"a\":\"\x01\"}").error().message.find("not valid JSON"),
            std::string::npos)
      << "a raw control character inside a string";
}

TEST(JsonFields, EscapesAreDecoded) {
  auto f = parse_json_fields(R"({"identifier":"caf\u00e9@example.com","t":"a\/b\"c"})");
  ASSERT_TRUE(f.ok()) << f.error().message;
  EXPECT_EQ(f->at("identifier"), "caf\xc3\xa9@example.com");
  EXPECT_EQ(f->at("t"), "a/b\"c");
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
