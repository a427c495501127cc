#include "config/duration.h"

#include <gtest/gtest.h>

namespace linkgate::config {
namespace {

using namespace std::chrono;

TEST(Duration, ParsesEachUnitAndSums) {
  EXPECT_EQ(parse_duration("250ms"), milliseconds(250));
  EXPECT_EQ(parse_duration("90s"), seconds(90));
  EXPECT_EQ(parse_duration("15m"), minutes(15));
  EXPECT_EQ(parse_duration("1h"), hours(1));
  EXPECT_EQ(parse_duration("7d"), hours(24 * 7));
  EXPECT_EQ(parse_duration("1h30m"), minutes(90));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));
}

TEST(Duration, RefusesWhatIsNotADuration) {
  for (const char* bad :
       {"", "15", "m", "1x", "-5s", "1.5h", "1h ", " 1h", "99999999999999999999d"}) {
    EXPECT_FALSE(parse_duration(bad)) << bad;
  }
}

TEST(Rate, ParsesCountPerWindow) {
  EXPECT_EQ(parse_rate("5/15m"), (Rate{5, minutes(15)}));
  EXPECT_EQ(parse_rate("500/1h"), (Rate{500, hours(1)}));
  EXPECT_FALSE(parse_rate("5"));
  EXPECT_FALSE(parse_rate("x/1m"));
  EXPECT_FALSE(parse_rate("5/0s"));
  EXPECT_FALSE(parse_rate("5 /1m"));
}

TEST(Backoff, ParsesARange) {
  EXPECT_EQ(parse_backoff("2s..10m"), (BackoffRange{seconds(2), minutes(10)}));
  EXPECT_FALSE(parse_backoff("10m..2s"));
  EXPECT_FALSE(parse_backoff("0s..1m"));
  EXPECT_FALSE(parse_backoff("2s-10m"));
}

}  // namespace
}  // namespace linkgate::config
