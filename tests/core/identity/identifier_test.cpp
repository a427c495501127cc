#include "identity/identifier.h"

#include <gtest/gtest.h>

namespace linkgate::identity {
namespace {

std::string normalised(const std::string& input) {
  auto p = parse_identifier(input);
  return p.ok() ? p->value : "INVALID: " + p.error().message;
}

TEST(Identifier, NormalisesEmail) {
  EXPECT_EQ(normalised("Alice@Example.COM"), "alice@example.com");
  EXPECT_EQ(normalised("  bob.smith+tag@mail.example.org "), "bob.smith+tag@mail.example.org");
  EXPECT_EQ(parse_identifier("a@b.co")->kind, sdk::AddressKind::email);
}

TEST(Identifier, NormalisesPhone) {
  EXPECT_EQ(normalised("+15551234567"), "+15551234567");
  EXPECT_EQ(normalised("+1 (555) 123-4567"), "+15551234567");
  EXPECT_EQ(normalised("+49 30 1234.5678"), "+493012345678");
  EXPECT_EQ(parse_identifier("+15551234567")->kind, sdk::AddressKind::phone);
}

TEST(Identifier, RefusesHostileAndMalformedInput) {
  for (const char* bad : {"",
                          "   ",
                          "alice",
                          "alice@",
                          "@example.com",
                          "alice@example",
                          "alice@@example.com",
                          "a..b@example.com",
                          ".a@example.com",
                          "a.@example.com",
                          "alice@-example.com",
                          "alice@example-.com",
                          "alice@exa_mple.com",
                          "alice@1.2.3.4",
                          "alice@[127.0.0.1]",
                          "al ice@example.com",
                          "\"quoted\"@example.com",
                          "+0123456789",
                          "+12",
                          "+1234567890123456",
                          "+1-",
                          "+1 555 abc 4567",
                          "++15551234567",
                          "+1/555/1234567"}) {
    EXPECT_FALSE(parse_identifier(bad).ok()) << bad;
  }
}

TEST(Identifier, RefusesControlCharactersIncludingCrLf) {
  EXPECT_FALSE(parse_identifier("alice@example.com\r\nBcc: eve@evil.com").ok());
  EXPECT_FALSE(parse_identifier(std::string("alice@example.com\0x", 19)).ok());
  EXPECT_FALSE(parse_identifier("alice@example.com\t").ok());
  EXPECT_FALSE(parse_identifier("al\x7f@example.com").ok());
}

TEST(Identifier, RefusesNonAsciiAndOverlongInput) {
  EXPECT_FALSE(parse_identifier("alice@exämple.com").ok());
  EXPECT_FALSE(parse_identifier(std::string(65, 'a') + "@example.com").ok());
  EXPECT_FALSE(parse_identifier("a@" + std::string(400, 'b') + ".com").ok());
}

TEST(Identifier, MasksForDisplay) {
  EXPECT_EQ(mask({sdk::AddressKind::email, "alice@example.com"}), "a***@example.com");
  EXPECT_EQ(mask({sdk::AddressKind::phone, "+15551234567"}), "+1555***67");
}

}  // namespace
}  // namespace linkgate::identity
