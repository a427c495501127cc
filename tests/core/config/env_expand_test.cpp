#include "config/env_expand.h"

#include <gtest/gtest.h>

namespace linkgate::config {
namespace {

EnvLookup fake() {
  return [](const std::string& n) -> std::optional<std::string> {
    if (n == "USER") return "alice";
    if (n == "EMPTY") return "";
    return std::nullopt;
  };
}

TEST(EnvExpand, ReplacesVariablesAndDefaults) {
  EXPECT_EQ(expand_environment("hi ${USER}!", fake()).value, "hi alice!");
  EXPECT_EQ(expand_environment("${MISSING:-fallback}", fake()).value, "fallback");
  EXPECT_EQ(expand_environment("${USER:-fallback}", fake()).value, "alice");
  EXPECT_EQ(expand_environment("[${EMPTY}]", fake()).value, "[]");
  EXPECT_EQ(expand_environment("no variables", fake()).value, "no variables");
  EXPECT_EQ(expand_environment("${A:-}x", fake()).value, "x");
}

TEST(EnvExpand, NamesWhatIsWrong) {
  EXPECT_EQ(expand_environment("${MISSING}", fake()).error,
            "environment variable MISSING is not set");
  EXPECT_NE(expand_environment("${USER", fake()).error.find("unterminated"), std::string::npos);
  EXPECT_NE(expand_environment("${1BAD}", fake()).error.find("malformed"), std::string::npos);
  EXPECT_NE(expand_environment("${}", fake()).error.find("malformed"), std::string::npos);
}

TEST(EnvExpand, DoesNotExpandTwice) {
  auto env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "A") return "${B}";
    return std::nullopt;
  };
  EXPECT_EQ(expand_environment("${A}", env).value, "${B}");
}

}  // namespace
}  // namespace linkgate::config
