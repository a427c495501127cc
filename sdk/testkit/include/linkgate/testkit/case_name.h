#pragma once
/// @file
/// case_name: names each instantiation of a conformance suite after its case's `name`.

#include <gtest/gtest.h>

#include <string>

namespace linkgate::testkit {

/// Use as the last argument of INSTANTIATE_TEST_SUITE_P.
template <class Case>
std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return info.param.name;
}

}  // namespace linkgate::testkit
