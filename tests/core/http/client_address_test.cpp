// The client's address behind proxies: every header line, walked from the right over trusted
// proxies (CIDR ranges too), only real IP addresses, X-Forwarded-For or RFC 7239 Forwarded.
#include "http/client_address.h"

#include <gtest/gtest.h>

namespace linkgate::http {
namespace {

std::vector<config::AddressRange> ranges(const std::vector<std::string>& texts) {
  std::vector<config::AddressRange> out;
  for (const auto& t : texts) {
    auto r = config::parse_address_range(t);
    EXPECT_TRUE(r) << t;
    if (r) out.push_back(*r);
  }
  return out;
}

Request from(const std::string& peer, const std::vector<std::string>& lines,
             const std::string& name = "X-Forwarded-For") {
  Request r;
  r.peer = peer;
  for (const auto& line : lines) r.headers.emplace_back(name, line);
  return r;
}

const auto kProxy = ranges({"127.0.0.1", "10.0.0.0/8"});

std::string client(const Request& r, ForwardedHeader h = ForwardedHeader::x_forwarded_for) {
  return client_address(r, kProxy, h);
}

TEST(ClientAddress, AnUntrustedPeerIsTheClientWhateverItSays) {
  EXPECT_EQ(client(from("198.51.100.7", {"6.6.6.6"})), "198.51.100.7");
  EXPECT_EQ(client_address(from("127.0.0.1", {"6.6.6.6"}), {}, ForwardedHeader::x_forwarded_for),
            "127.0.0.1")
      << "no trusted proxies: the header is never read";
}

TEST(ClientAddress, EveryHeaderLineCountsAndTheProxysOwnHopWins) {
  // The attack: the client sends its own first line; the proxy adds a line of its own.
  EXPECT_EQ(client(from("127.0.0.1", {"6.6.6.6", "203.0.113.9"})), "203.0.113.9");
  EXPECT_EQ(client(from("127.0.0.1", {"6.6.6.6, 203.0.113.9"})), "203.0.113.9");
}

TEST(ClientAddress, TrustedHopsAreWalkedBackOverIncludingRanges) {
  EXPECT_EQ(client(from("127.0.0.1", {"203.0.113.9, 10.1.2.3, 10.9.9.9"})), "203.0.113.9");
  EXPECT_EQ(client(from("10.0.0.5", {"6.6.6.6, 203.0.113.9, 10.1.2.3"})), "203.0.113.9");
  EXPECT_EQ(client(from("127.0.0.1", {"10.1.2.3"})), "10.1.2.3") << "all trusted: the first";
}

TEST(ClientAddress, WhatIsNotAnAddressStopsTheWalkAtTheProxyThatWroteIt) {
  EXPECT_EQ(client(from("127.0.0.1", {"<script>"})), "127.0.0.1");
  EXPECT_EQ(client(from("127.0.0.1", {"203.0.113.9, 10.1.2.3, bogus"})), "127.0.0.1");
  EXPECT_EQ(client(from("127.0.0.1", {"bogus, 10.1.2.3"})), "10.1.2.3");
  EXPECT_EQ(client(from("127.0.0.1", {""})), "127.0.0.1");
  EXPECT_EQ(client(from("127.0.0.1", {"1.2.3.4.5"})), "127.0.0.1");
  EXPECT_EQ(client(from("127.0.0.1", {"203.0.113.9:99999x"})), "127.0.0.1");
}

TEST(ClientAddress, PortsBracketsAndIpv6AreRead) {
  EXPECT_EQ(client(from("127.0.0.1", {"203.0.113.9:4711"})), "203.0.113.9");
  EXPECT_EQ(client(from("127.0.0.1", {"2001:db8::1"})), "2001:db8::1");
  EXPECT_EQ(client(from("127.0.0.1", {"[2001:db8::1]:4711"})), "2001:db8::1");
  EXPECT_EQ(client(from("::ffff:127.0.0.1", {"203.0.113.9"})), "203.0.113.9")
      << "an IPv4-mapped peer is its IPv4";
}

TEST(ClientAddress, Rfc7239ForwardedIsReadWhenConfigured) {
  const auto forwarded = ForwardedHeader::forwarded;
  EXPECT_EQ(client(from("127.0.0.1", {"for=6.6.6.6", "for=203.0.113.9;proto=https"}, "Forwarded"),
                   forwarded),
            "203.0.113.9");
  EXPECT_EQ(client(from("127.0.0.1", {"for=\"[2001:db8::1]:4711\", for=10.1.2.3"}, "Forwarded"),
                   forwarded),
            "2001:db8::1");
  EXPECT_EQ(client(from("127.0.0.1", {"For=unknown"}, "Forwarded"), forwarded), "127.0.0.1");
  EXPECT_EQ(client(from("127.0.0.1", {"by=10.1.2.3"}, "Forwarded"), forwarded), "127.0.0.1");
  EXPECT_EQ(client(from("127.0.0.1", {"203.0.113.9"}), forwarded), "127.0.0.1")
      << "with Forwarded configured, X-Forwarded-For is not read";
}

TEST(AddressRange, ParsesAddressesAndRangesAndRefusesTheRest) {
  EXPECT_TRUE(
      config::parse_address_range("10.0.0.0/8")->contains(Poco::Net::IPAddress("10.255.0.1")));
  EXPECT_FALSE(
      config::parse_address_range("10.0.0.0/8")->contains(Poco::Net::IPAddress("11.0.0.1")));
  EXPECT_TRUE(config::parse_address_range("2001:db8::/32")
                  ->contains(Poco::Net::IPAddress("2001:db8:1::5")));
  EXPECT_FALSE(
      config::parse_address_range("2001:db8::/32")->contains(Poco::Net::IPAddress("10.0.0.1")));
  for (const char* bad : {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "example.com", "", "::/129"}) {
    EXPECT_FALSE(config::parse_address_range(bad)) << bad;
  }
}

}  // namespace
}  // namespace linkgate::http
