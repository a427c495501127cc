#include "flow/sms_length.h"

#include <gtest/gtest.h>

#include <string>

namespace linkgate::flow {
namespace {

TEST(SmsLength, GsmTextUses160Then153PerSegment) {
  EXPECT_EQ(sms_segments(std::string(160, 'a')), 1u);
  EXPECT_EQ(sms_segments(std::string(161, 'a')), 2u);
  EXPECT_EQ(sms_segments(std::string(306, 'a')), 2u);
  EXPECT_EQ(sms_segments(std::string(307, 'a')), 3u);
  EXPECT_EQ(sms_segments(""), 1u);
}

TEST(SmsLength, ExtendedCharactersCountTwice) {
  EXPECT_EQ(sms_segments(std::string(80, '{')), 1u);
  EXPECT_EQ(sms_segments(std::string(81, '{')), 2u);
  EXPECT_EQ(sms_segments("Prix: 5 €"), 1u);
}

TEST(SmsLength, OtherCharactersSwitchToUcs2) {
  std::string emoji = "\xF0\x9F\x94\x91";  // a key emoji: 2 UTF-16 units
  EXPECT_EQ(sms_segments(std::string(68, 'a') + emoji), 1u);
  EXPECT_EQ(sms_segments(std::string(69, 'a') + emoji), 2u);
  EXPECT_EQ(sms_segments("Straße ü é"), 1u) << "German umlauts and ß are in GSM 03.38";
  EXPECT_EQ(sms_segments(std::string(71, 'a') + "\xC4\x8D"), 2u) << "č is not";
}

}  // namespace
}  // namespace linkgate::flow
