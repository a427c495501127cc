#include "util/json_escape.h"

#include <gtest/gtest.h>

#include <string>

namespace linkgate::util {
namespace {

TEST(JsonEscape, EscapesQuotesBackslashesAndEveryControlCharacter) {
  EXPECT_EQ(json_escape("plain text, é"), "plain text, é");
  EXPECT_EQ(json_escape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(json_escape("\n\r\t"), "\\n\\r\\t");
  EXPECT_EQ(json_escape(std::string("\0\x01\x1f\x7f", 4)), "\\u0000\\u0001\\u001f\\u007f");
  for (int c = 0; c < 0x20; ++c) {
    const std::string escaped = json_escape(std::string(1, static_cast<char>(c)));
    EXPECT_EQ(escaped.front(), '\\') << "control character " << c;
  }
  for (int c = 0x20; c < 0x100; ++c) {
    if (c == '"' || c == '\\' || c == 0x7f) continue;
    const std::string one(1, static_cast<char>(c));
    EXPECT_EQ(json_escape(one), one) << "byte " << c << " needs no escape";
  }
}

// Unescaped runs are copied whole; an escape at any place in a long text is still made.
TEST(JsonEscape, EscapesAtEveryPlaceInALongText) {
  for (std::size_t at = 0; at <= 40; ++at) {
    const std::string before(at, 'a'), after(40 - at, 'z');
    EXPECT_EQ(json_escape(before + "\"" + after), before + "\\\"" + after) << "at " << at;
    EXPECT_EQ(json_escape(before + "\x01"), before + "\\u0001") << "at " << at;
  }
}

TEST(JsonEscape, AppendsToWhatIsAlreadyThere) {
  std::string out = "{\"k\": \"";
  append_json_escaped(out, "v\"");
  EXPECT_EQ(out, "{\"k\": \"v\\\"");
}

}  // namespace
}  // namespace linkgate::util
