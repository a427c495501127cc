#include "util/flat_json.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <random>

#include "util/json_escape.h"
#include "util/utf8.h"

namespace linkgate::util {
namespace {

TEST(FlatJson, ReadsWhatATokenIssuerWrites) {
  const std::string hostile = std::string("q\"b\\s/\b\f\n\r\t\x01\x1f", 14) + "\u2028é😀</script>";
  const std::string text = "{\"iss\":\"" + json_escape(hostile) +
                           "\",\"iat\":1764547200,\"exp\":-5," +
                           "\"ok\":true,\"no\":false,\"none\":null,\"f\":1.5e-3}";
  auto o = FlatJsonObject::parse(text);
  ASSERT_TRUE(o) << text;
  ASSERT_NE(o->string("iss"), nullptr);
  EXPECT_EQ(*o->string("iss"), hostile);
  EXPECT_EQ(o->integer("iat"), 1764547200);
  EXPECT_EQ(o->integer("exp"), -5);
  EXPECT_EQ(o->string("iat"), nullptr) << "a number is not a string";
  EXPECT_EQ(o->integer("iss"), std::nullopt);
  EXPECT_EQ(o->integer("f"), std::nullopt) << "not an integer";
  EXPECT_TRUE(o->has("none"));
  EXPECT_FALSE(o->has("missing"));
  EXPECT_EQ(o->members().size(), 7u);
}

TEST(FlatJson, DecodesEscapesAndSurrogatePairs) {
  auto o = FlatJsonObject::parse(R"( { "a\u0062" : "\u00e9\u20AC\ud83d\ude00\/" } )");
  ASSERT_TRUE(o);
  ASSERT_NE(o->string("ab"), nullptr);
  EXPECT_EQ(*o->string("ab"), "é€😀/");
  EXPECT_TRUE(FlatJsonObject::parse("{}"));
  EXPECT_TRUE(FlatJsonObject::parse(" \t\r\n{ }\n"));
}

TEST(FlatJson, RefusesAnythingButOneFlatObject) {
  for (const char* bad : {"",
                          " ",
                          "[]",
                          "\"s\"",
                          "1",
                          "null",
                          "{",
                          "}",
                          "{\"a\":1,}",
                          "{,}",
                          "{\"a\"}",
                          "{\"a\":}",
                          "{\"a\" 1}",
                          "{a:1}",
                          "{'a':1}",
                          "{\"a\":{}}",
                          "{\"a\":[]}",
                          "{\"a\":[1]}",
                          "{\"a\":{\"b\":1}}",
                          "{\"a\":1}{}",
                          "{\"a\":1} x",
                          "{\"a\":1,\"a\":2}",
                          "{\"a\":\"x\",\"a\":\"x\"}",
                          "{\"a\":\"unterminated}",
                          "{\"a\":\"\\x\"}",
                          "{\"a\":\"\\u12\"}",
                          "{\"a\":\"\\ud83d\"}",
                          "{\"a\":\"\\ude00\"}",
                          "{\"a\":\"\\ud83d\\u0041\"}",
                          "{\"a\":01}",
                          "{\"a\":1.}",
                          "{\"a\":.5}",
                          "{\"a\":+1}",
                          "{\"a\":1e}",
                          "{\"a\":-}",
                          "{\"a\":tru}",
                          "{\"a\":True}",
                          "{\"a\":nul}",
                          "{\"a\":NaN}",
                          "{\"a\":Infinity}",
                          "{\"a\":1 /* c */}"}) {
    EXPECT_FALSE(FlatJsonObject::parse(bad)) << bad;
  }
  EXPECT_FALSE(FlatJsonObject::parse(std::string("{\"a\":\"x\ny\"}"))) << "raw control character";
  EXPECT_FALSE(FlatJsonObject::parse(std::string("{\"a\":\"x\0y\"}", 11))) << "raw NUL";
  EXPECT_FALSE(FlatJsonObject::parse(std::string("{\"a\":1}\0", 8))) << "a NUL after";
}

TEST(FlatJson, IntegersOnlyWhenTheyFit) {
  auto o = FlatJsonObject::parse(
      R"({"max":9223372036854775807,"min":-9223372036854775808,"over":9223372036854775808,)"
      R"("exp":1e3,"zero":-0})");
  ASSERT_TRUE(o);
  EXPECT_EQ(o->integer("max"), INT64_MAX);
  EXPECT_EQ(o->integer("min"), INT64_MIN);
  EXPECT_EQ(o->integer("over"), std::nullopt);
  EXPECT_EQ(o->integer("exp"), std::nullopt);
  EXPECT_EQ(o->integer("zero"), 0);
}

// What this parser accepts, Poco's accepts too, with the same strings and integers: run over
// a few thousand mangled variants of a token's claims.
TEST(FlatJson, AgreesWithPocoOnEveryObjectItAccepts) {
  const std::string seed =
      R"({"aud":"linkgate","jti":"Zm9vYmFy","iat":1764547200,"exp":1764548100,)"
      R"("flw":"f_1","eml":"a\"b\\c\u00e9\ud83d\ude00@example.com","rdr":"https:\/\/x\n"})";
  const std::string alphabet = "{}[]\":,\\/ \n\t0123456789-+.eEtrufalsn\xc3\xa9\x01ud83dDE";
  std::mt19937 random(20261201);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = seed;
    const int edits = 1 + static_cast<int>(random() % 3);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      const std::size_t at = random() % text.size();
      const char c = alphabet[random() % alphabet.size()];
      switch (random() % 3) {
        case 0:
          text[at] = c;
          break;
        case 1:
          text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          text.erase(at, 1);
      }
    }
    auto ours = FlatJsonObject::parse(text);
    if (!ours || valid_utf8(text) != text) continue;
    // Poco refuses numbers past a double's range (1e999), which JSON allows; claims are integers.
    bool beyond_double = false;
    for (const auto& m : ours->members()) {
      beyond_double |=
          m.kind == JsonMember::Kind::number && std::isinf(std::strtod(m.value.c_str(), nullptr));
    }
    if (beyond_double) continue;
    ++accepted;
    Poco::JSON::Object::Ptr theirs;
    try {
      theirs = Poco::JSON::Parser().parse(text).extract<Poco::JSON::Object::Ptr>();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "Poco refused what was accepted: " << text << " (" << e.what() << ")";
      continue;
    }
    ASSERT_TRUE(theirs) << text;
    EXPECT_EQ(theirs->size(), ours->members().size()) << text;
    for (const auto& m : ours->members()) {
      ASSERT_TRUE(theirs->has(m.name)) << text;
      const auto value = theirs->get(m.name);
      if (m.kind == JsonMember::Kind::string) {
        EXPECT_TRUE(value.isString()) << text;
        EXPECT_EQ(value.extract<std::string>(), m.value) << text;
      } else if (auto n = ours->integer(m.name)) {
        EXPECT_TRUE(value.isInteger()) << text;
        EXPECT_EQ(value.convert<std::int64_t>(), *n) << text;
      }
    }
  }
  EXPECT_GT(accepted, 1000) << "the mangling should leave many objects whole";
}

}  // namespace
}  // namespace linkgate::util
