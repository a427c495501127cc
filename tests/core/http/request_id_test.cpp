#include "http/request_id.h"

#include <gtest/gtest.h>

#include <set>

#include "config/address_range.h"

namespace linkgate::http {
namespace {

Request from(const std::string& peer, const HeaderList& headers) {
  Request r;
  r.method = "GET";
  r.target = "/healthz";
  r.peer = peer;
  r.headers = headers;
  return r;
}

std::vector<config::AddressRange> proxies() {
  return {*config::parse_address_range("10.0.0.0/8")};
}

TEST(RequestId, ATrustedProxysIdIsKept) {
  EXPECT_EQ(request_id(from("10.1.2.3", {{"X-Request-Id", "0f3a9c2e-77b1:edge.1"}}), proxies()),
            "0f3a9c2e-77b1:edge.1");
}

TEST(RequestId, AnyoneElsesIsReplacedByANewOne) {
  const auto made = request_id(from("203.0.113.9", {{"X-Request-Id", "chosen-by-me"}}), proxies());
  EXPECT_NE(made, "chosen-by-me");
  EXPECT_EQ(made.size(), 22u);
  EXPECT_EQ(request_id(from("10.1.2.3", {{"X-Request-Id", "x"}}), {}).size(), 22u)
      << "no trusted proxies: nobody's";
}

TEST(RequestId, WhatCouldForgeALogLineOrIsAmbiguousIsReplaced) {
  for (const std::string& bad : {std::string(""), std::string(129, 'a'), std::string("a b"),
                                 std::string("a\"b"), std::string("a\\nb"), std::string("é")}) {
    auto id = request_id(from("10.1.2.3", {{"X-Request-Id", bad}}), proxies());
    EXPECT_NE(id, bad);
    EXPECT_EQ(id.size(), 22u);
  }
  auto two =
      request_id(from("10.1.2.3", {{"X-Request-Id", "one"}, {"X-Request-Id", "two"}}), proxies());
  EXPECT_EQ(two.size(), 22u);
}

TEST(RequestId, MadeIdsDoNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) seen.insert(request_id(from("127.0.0.1", {}), {}));
  EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace linkgate::http
