#include <gtest/gtest.h>

#include "http/exchange.h"

namespace linkgate::http {
namespace {

TEST(JsonFields, ReadsAFlatObject) {
  std::string problem;
  auto f = parse_json_fields(
      R"({"identifier":"a@example.com","code":123456,"flag":true,"none":null})", problem);
  ASSERT_TRUE(f) << problem;
  EXPECT_EQ(f->at("identifier"), "a@example.com");
  EXPECT_EQ(f->at("code"), "123456");
  EXPECT_EQ(f->at("flag"), "true");
  EXPECT_EQ(f->count("none"), 0u);
}

TEST(JsonFields, RefusesWhatIsNotAFlatObject) {
  for (const char* bad :
       {"", "{", "[]", "\"s\"", "1", "{\"a\":{}}", "{\"a\":[1]}", "{\"a\":\"b\"} trailing",
        "{'a':'b'}", "{\"a\":\"\\ud800\"", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}) {
    std::string problem;
    EXPECT_FALSE(parse_json_fields(bad, problem)) << bad;
    EXPECT_FALSE(problem.empty()) << bad;
  }
}

TEST(JsonFields, QuotedBracesAreNotNesting) {
  std::string problem;
  auto f = parse_json_fields(R"({"a":"{[\"x\"]}"})", problem);
  ASSERT_TRUE(f) << problem;
  EXPECT_EQ(f->at("a"), "{[\"x\"]}");
}

TEST(FormFields, DecodesPairs) {
  std::string problem;
  auto f = parse_form_fields(
      "identifier=a%40example.com&redirect_uri=https%3A%2F%2Fx%2F&empty=&flag", problem);
  ASSERT_TRUE(f) << problem;
  EXPECT_EQ(f->at("identifier"), "a@example.com");
  EXPECT_EQ(f->at("redirect_uri"), "https://x/");
  EXPECT_EQ(f->at("empty"), "");
  EXPECT_EQ(f->at("flag"), "");
  EXPECT_EQ(parse_form_fields("a=1+2", problem)->at("a"), "1 2");
  EXPECT_EQ(parse_form_fields("identifier=a%2Bb%40example.com", problem)->at("identifier"),
            "a+b@example.com");
}

TEST(FormFields, RefusesTooManyFieldsAndBadEncoding) {
  std::string many;
  for (int i = 0; i < 40; ++i) many += "f" + std::to_string(i) + "=x&";
  std::string problem;
  EXPECT_FALSE(parse_form_fields(many, problem));
  EXPECT_FALSE(parse_form_fields("a=%zz", problem));
}

TEST(ErrorHeading, NamesEachOutcome) {
  EXPECT_EQ(error_heading("expired_token"), "This link has expired");
  EXPECT_EQ(error_heading("used_token"), "This link was already used");
  EXPECT_EQ(error_heading("whatever"), "Something went wrong");
}

}  // namespace
}  // namespace linkgate::http
