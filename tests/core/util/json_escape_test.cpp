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

// The escaper scans sixteen bytes at a time: every byte value, at every place of texts longer and
// shorter than a block, among bytes that need nothing (some above 0x7f, which a signed compare
// would take for control characters), escaped as a byte at a time would.
TEST(JsonEscape, EveryByteAtEveryPlaceOfABlockIsEscapedAsOneAtATimeWould) {
  const auto one_at_a_time = [](const std::string& text) {
    std::string out;
    for (const char c : text) out += json_escape(std::string_view(&c, 1));
    return out;
  };
  const std::string filler = "a\xc3\xa9~ \x80\xff\x7e\x21z";
  for (int c = 0; c < 0x100; ++c) {
    for (std::size_t length = 1; length <= 40; ++length) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string text;
        for (std::size_t i = 0; i < length; ++i) text += filler[(i + at) % filler.size()];
        text[at] = static_cast<char>(c);
        if (length > 20) text[length - 1 - at % 3] = '"';  // a second escape in the same block
        ASSERT_EQ(json_escape(text), one_at_a_time(text))
            << "byte " << c << " at " << at << " of " << length;
      }
    }
  }
}

TEST(JsonEscape, AppendsToWhatIsAlreadyThere) {
  std::string out = "{\"k\": \"";
  append_json_escaped(out, "v\"");
  EXPECT_EQ(out, "{\"k\": \"v\\\"");
}

}  // namespace
}  // namespace linkgate::util
