// What mail servers and gateways say about a failure, with the address taken out.
#include "util/redact.h"

#include <gtest/gtest.h>

namespace linkgate::util {
namespace {

TEST(Redact, EmailAddressesAndPhoneNumbersAreTakenOut) {
  EXPECT_EQ(redact_addresses("550 5.1.1 <bob@example.com>: Recipient address rejected"),
            "550 5.1.1 <[address]>: Recipient address rejected");
  EXPECT_EQ(redact_addresses("Recipient rejected: bob.smith+tag@mail.example.co.uk: 550"),
            "Recipient rejected: [address]: 550");
  EXPECT_EQ(redact_addresses(R"({"to":"+14155550199","error":"invalid number"})"),
            R"({"to":"[number]","error":"invalid number"})");
  EXPECT_EQ(redact_addresses("number 4155550199 is blocked"), "number [number] is blocked");
}

TEST(Redact, WhatIsNotAnAddressStays) {
  for (const char* kept :
       {"retry 3 in 2000ms", "451 4.7.1 try again later", "message msg_2026113012ab for flow x",
        "user@localhost said no", "HTTP 503 from gateway", "id a-1234567b"}) {
    EXPECT_EQ(redact_addresses(kept), kept);
  }
}

}  // namespace
}  // namespace linkgate::util
