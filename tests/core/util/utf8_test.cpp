#include "util/utf8.h"

#include <gtest/gtest.h>

namespace linkgate::util {
namespace {

TEST(ValidUtf8, KeepsWellFormedTextAndReplacesTheRest) {
  const std::string fffd = "\xEF\xBF\xBD";
  EXPECT_EQ(valid_utf8("plain ascii"), "plain ascii");
  EXPECT_EQ(valid_utf8("M\xC3\xBCller \xE2\x82\xAC \xF0\x9F\x94\x91"),
            "M\xC3\xBCller \xE2\x82\xAC \xF0\x9F\x94\x91");
  EXPECT_EQ(valid_utf8("\xff"), fffd);
  EXPECT_EQ(valid_utf8("a\x80z"), "a" + fffd + "z") << "a stray continuation byte";
  EXPECT_EQ(valid_utf8("\xC0\xAF"), fffd + fffd) << "an overlong '/'";
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), fffd + fffd + fffd) << "a surrogate";
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), fffd + fffd + fffd + fffd) << "past U+10FFFF";
  EXPECT_EQ(valid_utf8("\xE2\x82"), fffd + fffd) << "cut short";
  EXPECT_EQ(valid_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

// Long text is checked eight bytes at a time while it is ASCII; a bad byte, or a character split
// across two such steps, is found wherever it sits.
TEST(ValidUtf8, FindsWhatIsWrongAtEveryPlaceInALongText) {
  const std::string fffd = "\xEF\xBF\xBD";
  const std::string euro = "\xE2\x82\xAC";
  for (std::size_t at = 0; at <= 40; ++at) {
    const std::string before(at, 'a'), after(40 - at, 'z');
    EXPECT_EQ(valid_utf8(before + "\xff" + after), before + fffd + after) << "at " << at;
    EXPECT_EQ(valid_utf8(before + euro + after), before + euro + after) << "at " << at;
    EXPECT_EQ(valid_utf8(before + "\xE2\x82"), before + fffd + fffd) << "cut short at " << at;
    EXPECT_EQ(valid_utf8(before + "\xED\xA0\x80" + after), before + fffd + fffd + fffd + after)
        << "a surrogate at " << at;
  }
}

}  // namespace
}  // namespace linkgate::util
