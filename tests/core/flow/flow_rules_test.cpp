// The flow's pure decisions: where a message goes, what a redeem may do, the keyed hashes and the
// pieces of a message.

#include <gtest/gtest.h>

#include "flow/delivery_choice.h"
#include "flow/keyed_hashes.h"
#include "flow/redeem_rules.h"
#include "flow/sign_in_message.h"

namespace linkgate::flow {
namespace {

using sdk::AddressKind;

TEST(DeliveryChoice, ParsesTheChannelField) {
  EXPECT_EQ(parse_channel("").value(), std::nullopt);
  EXPECT_EQ(parse_channel("email").value(), AddressKind::email);
  EXPECT_EQ(parse_channel("sms").value(), AddressKind::phone);
  EXPECT_EQ(parse_channel("SMS").failure(), Failure::invalid_request);
  EXPECT_EQ(parse_channel("fax").failure(), Failure::invalid_request);
}

TEST(DeliveryChoice, BothTheTypedKindAndTheAskedChannelMustBeDeliverable) {
  const outbox::DeliveryRoutes email_only{{AddressKind::email, "mail", nullptr, 1}};
  const outbox::DeliveryRoutes both{{AddressKind::email, "mail", nullptr, 1},
                                    {AddressKind::phone, "sms", nullptr, 1}};
  EXPECT_FALSE(check_deliverable(email_only, AddressKind::email, std::nullopt));
  EXPECT_FALSE(check_deliverable(email_only, AddressKind::email, AddressKind::email));
  EXPECT_EQ(check_deliverable(email_only, AddressKind::email, AddressKind::phone),
            problem(Failure::channel_unavailable, "phone"));
  EXPECT_EQ(check_deliverable(email_only, AddressKind::phone, AddressKind::email),
            problem(Failure::channel_unavailable, "phone"))
      << "a number typed may fall back to itself, so its kind must be deliverable too";
  EXPECT_EQ(check_deliverable({}, AddressKind::email, std::nullopt),
            problem(Failure::channel_unavailable, "e-mail"));
  EXPECT_FALSE(check_deliverable(both, AddressKind::phone, AddressKind::email));
}

TEST(DeliveryChoice, TheUsersAddressOfTheAskedKindElseTheTypedOne) {
  const sdk::Identifier typed{AddressKind::email, "a@example.com"};
  const sdk::User with_phone{"u", "a@example.com", "+15551234567", ""};
  EXPECT_EQ(choose_address(typed, AddressKind::phone, with_phone).value, "+15551234567");
  EXPECT_EQ(choose_address(typed, std::nullopt, with_phone).value, "a@example.com");
  EXPECT_EQ(choose_address(typed, AddressKind::phone, sdk::User{}).value, "a@example.com");
  const sdk::Identifier number{AddressKind::phone, "+15551234567"};
  EXPECT_EQ(choose_address(number, AddressKind::email, with_phone).value, "a@example.com");
}

TEST(DeliveryChoice, AnyRequestThatCouldEndInATextIsChargedAsOne) {
  EXPECT_TRUE(may_text(AddressKind::phone, std::nullopt));
  EXPECT_TRUE(may_text(AddressKind::email, AddressKind::phone));
  EXPECT_TRUE(may_text(AddressKind::phone, AddressKind::email)) << "falls back to the number";
  EXPECT_FALSE(may_text(AddressKind::email, std::nullopt));
  EXPECT_FALSE(may_text(AddressKind::email, AddressKind::email));
}

Flow flow_in(FlowState state, std::int64_t expires_at = 100) {
  Flow f;
  f.id = "f";
  f.state = state;
  f.expires_at = expires_at;
  return f;
}

TEST(RedeemRules, OnlyAPendingUnexpiredFlowIsLive) {
  EXPECT_TRUE(check_live(flow_in(FlowState::pending), 99).ok());
  EXPECT_EQ(check_live(flow_in(FlowState::pending), 100).failure(), Failure::expired);
  EXPECT_EQ(check_live(flow_in(FlowState::completed), 0).failure(), Failure::used);
  EXPECT_EQ(check_live(flow_in(FlowState::superseded), 0).failure(), Failure::superseded);
  EXPECT_EQ(check_live(flow_in(FlowState::dead), 0).failure(), Failure::attempts_exhausted);
}

TEST(RedeemRules, TokenErrorsMeanWhatTheHolderCanDo) {
  using sdk::ErrorCode;
  EXPECT_EQ(token_problem(ErrorCode::expired, "").failure, Failure::expired);
  EXPECT_EQ(token_problem(ErrorCode::used, "").failure, Failure::used);
  EXPECT_EQ(token_problem(ErrorCode::invalid, "").failure, Failure::invalid_token);
  EXPECT_EQ(token_problem(ErrorCode::not_found, "").failure, Failure::invalid_token);
  EXPECT_EQ(token_problem(ErrorCode::unavailable, "redis").failure, Failure::unavailable);
  EXPECT_NE(token_problem(ErrorCode::unavailable, "redis").detail.find("redis"), std::string::npos);
  EXPECT_EQ(token_problem(ErrorCode::conflict, "").failure, Failure::internal);
  EXPECT_EQ(token_problem(ErrorCode::unsupported, "").failure, Failure::internal);
}

TEST(RedeemRules, ACodeIsExactlyItsLengthInDigits) {
  EXPECT_FALSE(check_code_shape("flow", "123456", 6));
  EXPECT_TRUE(check_code_shape("flow", "12345", 6));
  EXPECT_TRUE(check_code_shape("flow", "1234567", 6));
  EXPECT_TRUE(check_code_shape("flow", "12345\xd9", 6));
  EXPECT_TRUE(check_code_shape("flow", "-12345", 6));
  EXPECT_TRUE(check_code_shape("", "123456", 6));
  EXPECT_TRUE(check_code_shape(std::string(65, 'f'), "123456", 6));
  EXPECT_FALSE(check_code_shape(std::string(64, 'f'), "12345678", 8));
}

TEST(RedeemRules, ShortLinksAreRecognisedExactly) {
  const std::string key(22, 'A');
  EXPECT_TRUE(is_short_link(short_link_token(key)));
  EXPECT_EQ(short_link_key(short_link_token(key)), key);
  EXPECT_FALSE(is_short_link("c." + std::string(21, 'A')));
  EXPECT_FALSE(is_short_link("c." + std::string(23, 'A')));
  EXPECT_FALSE(is_short_link("d." + key));
}

TEST(KeyedHashes, EachUseHasItsOwnLabelAndKey) {
  KeyedHashes a(std::string(32, 'a'));
  KeyedHashes b(std::string(32, 'b'));
  const sdk::Identifier email{AddressKind::email, "x"};
  const sdk::Identifier phone{AddressKind::phone, "x"};
  EXPECT_EQ(a.code("f", "123456"), a.code("f", "123456"));
  EXPECT_EQ(a.code("f", "123456").size(), 64u);
  EXPECT_NE(a.code("f", "123456"), b.code("f", "123456"));
  EXPECT_NE(a.code("f", "123456"), a.code("g", "123456")) << "a code is bound to its flow";
  EXPECT_NE(a.identifier(email), a.identifier(phone)) << "the kind is part of the identifier";
  EXPECT_NE(a.short_link("x"), a.code("", "x"));
  EXPECT_NE(a.short_link("x"), a.identifier(email));
}

TEST(SignInMessage, BuildsItsPieces) {
  config::Settings s;
  s.server.public_base_url = "https://id.example.com:8443";
  EXPECT_EQ(verify_url(s.server.public_base_url, "t"),
            "https://id.example.com:8443/v1/magic-links/verify?token=t");
  auto values = message_values(s, "L", "123456", 61);
  EXPECT_EQ(values.minutes, 2) << "rounded up: never promise more time than there is";
  EXPECT_EQ(values.domain, "id.example.com");
  EXPECT_EQ(values.app_name, s.branding.app_name);
  EXPECT_EQ(preferred_locales("de", "fr", {"en", "es"}),
            (std::vector<std::string>{"de", "fr", "en", "es"}));
  EXPECT_EQ(preferred_locales("", "", {"en"}), std::vector<std::string>{"en"});
  EXPECT_FALSE(too_long_for_sms(AddressKind::phone, {"en", "", std::string(300, 'a'), ""}));
  EXPECT_TRUE(too_long_for_sms(AddressKind::phone, {"en", "", std::string(400, 'a'), ""}));
  EXPECT_FALSE(too_long_for_sms(AddressKind::email, {"en", "", std::string(4000, 'a'), ""}));

  Flow f;
  f.id = "flow";
  f.expires_at = 42;
  auto m = outbox_message("m1", f, {AddressKind::phone, "+1555"}, "de", 1, "L", "C");
  EXPECT_EQ(m.id, "m1");
  EXPECT_EQ(m.flow_id, "flow");
  EXPECT_EQ(m.kind, AddressKind::phone);
  EXPECT_EQ(m.recipient, "+1555");
  EXPECT_EQ(m.locale, "de");
  EXPECT_EQ(m.link + m.code, "LC");
  EXPECT_EQ(m.subject + m.text + m.html, "") << "rendered when it is delivered";
  EXPECT_EQ(m.channel_index, 1);
  EXPECT_EQ(m.expires_at, 42);
}

class StoredMessage : public ::testing::Test {
 protected:
  StoredMessage() : templates(dir(), "en") {
    settings.server.public_base_url = "https://id.example.com";
    settings.branding.app_name = "Example";
    flow.id = "flow";
    flow.expires_at = 10'000;
  }
  static std::string dir() { return std::string(LINKGATE_SOURCE_DIR) + "/configs/templates"; }

  outbox::OutboxMessage stored(AddressKind kind, const std::string& locale, std::string link,
                               std::string code) {
    return outbox_message("m1", flow,
                          {kind, kind == AddressKind::email ? "a@example.com" : "+1555"}, locale, 0,
                          std::move(link), std::move(code));
  }

  config::Settings settings;
  MessageTemplates templates;
  Flow flow;
};

// The worker renders exactly what the request would have rendered when it stored the message.
TEST_F(StoredMessage, RendersTheSignInMessageTheStartWouldHaveRendered) {
  const std::string link = verify_url(settings.server.public_base_url, "tok");
  for (auto kind : {AddressKind::email, AddressKind::phone}) {
    for (const std::string locale : {"en", "de"}) {
      auto m = stored(kind, locale, link, "123456");
      render_stored_message(templates, settings, flow.expires_at - 900, m);
      const auto expected =
          templates.render(kind, message_values(settings, link, "123456", 900), {locale});
      EXPECT_EQ(m.subject, expected.subject);
      EXPECT_EQ(m.text, expected.text);
      EXPECT_EQ(m.html, expected.html);
      EXPECT_NE(m.text.find(link), std::string::npos);
      EXPECT_NE(m.text.find("123456"), std::string::npos);
      EXPECT_EQ(m.link, link) << "kept until the outcome erases it";
    }
  }
}

TEST_F(StoredMessage, SaysTheMinutesTheLinkHasLeftWhenItIsDelivered) {
  auto first_try = stored(AddressKind::email, "en", "https://id.example.com/x", "123456");
  auto retried = first_try;
  render_stored_message(templates, settings, flow.expires_at - 899, first_try);
  render_stored_message(templates, settings, flow.expires_at - 241, retried);
  EXPECT_NE(first_try.text.find("expire in 15 minutes"), std::string::npos) << first_try.text;
  EXPECT_NE(retried.text.find("expire in 5 minutes"), std::string::npos) << retried.text;
}

TEST_F(StoredMessage, WithoutALinkItIsTheNoticeToAnAddressWithNoAccount) {
  auto m = stored(AddressKind::email, "en", "", "");
  render_stored_message(templates, settings, 0, m);
  EXPECT_EQ(m.subject, "Sign-in attempt at Example");
  EXPECT_EQ(m.text, templates.render_unknown(message_values(settings, "", "", 0), {"en"}).text);
  EXPECT_EQ(m.text.find("http"), std::string::npos) << "nothing to click";
}

TEST_F(StoredMessage, AMessageStoredRenderedIsSentAsItWasStored) {
  auto m = stored(AddressKind::email, "en", "L", "C");
  m.subject = "S";
  m.text = "T";
  m.html = "H";
  render_stored_message(templates, settings, 0, m);
  EXPECT_EQ(m.subject + m.text + m.html, "STH");
}

}  // namespace
}  // namespace linkgate::flow
