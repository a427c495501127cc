#include "cli/arguments.h"

#include <gtest/gtest.h>

#include <sstream>

#include "cli/text_table.h"

namespace linkgate::cli {
namespace {

TEST(Arguments, WordsOptionsAndFlagsInAnyOrder) {
  auto a = parse_arguments({"list", "--limit", "5", "--json", "--config=/etc/l.yaml", "x"},
                           {"limit"}, {"json"});
  EXPECT_EQ(a.problem, "");
  EXPECT_EQ(a.words, (std::vector<std::string>{"list", "x"}));
  EXPECT_EQ(a.option("limit"), "5");
  EXPECT_TRUE(a.has("json"));
  EXPECT_EQ(a.config_file(), "/etc/l.yaml");
  EXPECT_EQ(parse_arguments({"-c", "f.yaml", "-h"}, {}, {}).config_file(), "f.yaml");
  EXPECT_TRUE(parse_arguments({"-h"}, {}, {}).has("help"));
  EXPECT_EQ(parse_arguments({}, {}, {}).config_file(), "configs/linkgate.yaml");
}

TEST(Arguments, UnknownOptionsAndMissingValuesAreProblems) {
  EXPECT_EQ(parse_arguments({"--frob"}, {}, {"json"}).problem, "unknown option --frob");
  EXPECT_EQ(parse_arguments({"--limit"}, {"limit"}, {}).problem, "--limit needs a value");
  EXPECT_EQ(parse_arguments({"--json=yes"}, {}, {"json"}).problem, "unknown option --json=yes");
  // A negative-looking word is an option, not a value of the one before.
  EXPECT_EQ(parse_arguments({"-x"}, {}, {}).problem, "unknown option -x");
  // "-" alone and "+1 555" are words.
  EXPECT_EQ(parse_arguments({"-", "+15551234567"}, {}, {}).words.size(), 2u);
}

TEST(Arguments, EverythingAfterADoubleDashIsAWord) {
  // Ids written before they stopped starting with '-' can still be named.
  auto a = parse_arguments({"purge", "--json", "--", "-AOUjxooT0NsQkiT", "--all"}, {}, {"json"});
  EXPECT_EQ(a.problem, "");
  EXPECT_TRUE(a.has("json"));
  EXPECT_FALSE(a.has("all"));
  EXPECT_EQ(a.words, (std::vector<std::string>{"purge", "-AOUjxooT0NsQkiT", "--all"}));
}

TEST(Arguments, CountsArePositiveWholeNumbersAndNothingElse) {
  std::string problem;
  EXPECT_EQ(parse_arguments({}, {"limit"}, {}).count("limit", 7, problem), 7u);
  EXPECT_EQ(parse_arguments({"--limit", "25"}, {"limit"}, {}).count("limit", 7, problem), 25u);
  for (const char* bad : {"0", "-5", "5x", "", "99999999999", "1e3"}) {
    problem.clear();
    EXPECT_FALSE(parse_arguments({"--limit", bad}, {"limit"}, {}).count("limit", 7, problem))
        << bad;
    EXPECT_EQ(problem, std::string("--limit: expected a positive number, got ") + bad);
  }
}

TEST(TextTable, ColumnsAreAsWideAsTheirWidestCell) {
  TextTable table({"ID", "STATE"});
  table.add({"a-long-id", "x"});
  table.add({"b", "disabled"});
  std::ostringstream out;
  table.print(out);
  EXPECT_EQ(out.str(), "ID         STATE\na-long-id  x\nb          disabled\n");
}

}  // namespace
}  // namespace linkgate::cli
