// The whole magic-link flow over HTTP against a server in this process.

#include <Poco/JSON/Parser.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "support/json_fields.h"
#include "support/test_server.h"

namespace linkgate::testing {
namespace {

TEST(Flow, LinkSignInFromRequestToLogout) {
  TestServer server;
  HttpClient browser = server.client();

  auto started = browser.post_json("/v1/magic-links", start_body("Alice@Example.com"));
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_EQ(field(started.body, "status"), "sent");
  EXPECT_EQ(json(started.body)->getValue<int>("expires_in"), 900);
  const std::string flow_id = field(started.body, "flow_id");
  EXPECT_EQ(browser.cookies["lg_flow"], flow_id);
  EXPECT_NE(started.header("set-cookie").find("HttpOnly"), std::string::npos);
  EXPECT_NE(started.header("set-cookie").find("SameSite=Lax"), std::string::npos);
  EXPECT_EQ(started.header("set-cookie").find("Secure"), std::string::npos) << "plain http";
  EXPECT_EQ(started.header("cache-control"), "no-store");

  auto message = server.wait_for_message("alice@example.com");
  EXPECT_EQ(message.code.size(), 6u);
  EXPECT_EQ(message.link.rfind("http://127.0.0.1:8080/v1/magic-links/verify?token=", 0), 0u);

  // A mail scanner: no cookie, fetches the link twice. Nothing is consumed.
  HttpClient scanner = server.client();
  for (int i = 0; i < 2; ++i) {
    auto page =
        scanner.get("/v1/magic-links/verify?token=" + message.token, {{"Accept", "text/html"}});
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(page.header("referrer-policy"), "no-referrer");
    EXPECT_EQ(page.header("cache-control"), "no-store");
    EXPECT_NE(page.header("content-security-policy").find("default-src 'none'"), std::string::npos);
    EXPECT_NE(page.body.find("Continue signing in"), std::string::npos);
    EXPECT_EQ(page.body.find(".submit()"), std::string::npos) << "another browser must click";
  }

  auto redeemed =
      browser.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  ASSERT_EQ(redeemed.status, 200) << redeemed.body;
  auto body = json(redeemed.body);
  EXPECT_EQ(body->getValue<std::string>("token_type"), "Bearer");
  EXPECT_EQ(body->getValue<int>("expires_in"), 3600);
  auto user = body->getObject("user");
  EXPECT_EQ(user->getValue<std::string>("email"), "alice@example.com");
  EXPECT_EQ(user->getValue<std::string>("phone"), "");
  EXPECT_FALSE(user->getValue<std::string>("id").empty());
  EXPECT_EQ(body->size(), 4u) << redeemed.body;
  EXPECT_EQ(user->size(), 3u) << redeemed.body;
  const std::string access_token = body->getValue<std::string>("access_token");
  EXPECT_EQ(browser.cookies["lg_session"], access_token);
  EXPECT_NE(redeemed.header("set-cookie").find("lg_session="), std::string::npos);

  // An independent JWT library checks the token against the published keys.
  auto jwks = browser.get("/.well-known/jwks.json");
  ASSERT_EQ(jwks.status, 200);
  std::ofstream(server.dir().file("jwks.json")) << jwks.body;
  auto [code, out] = run_python(
      std::string(LINKGATE_SOURCE_DIR) + "/tests/tools/verify_jwt.py",
      {access_token, server.dir().file("jwks.json"), "http://127.0.0.1:8080", "linkgate"});
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(field(out, "sub"), user->getValue<std::string>("id"));
  EXPECT_EQ(field(out, "email"), "alice@example.com");

  HttpClient api = server.client();
  api.use_cookies = false;
  auto session = api.get("/v1/session", {{"Authorization", "Bearer " + access_token}});
  ASSERT_EQ(session.status, 200) << session.body;
  EXPECT_EQ(field(session.body, "sub"), user->getValue<std::string>("id"));
  EXPECT_EQ(field(session.body, "email"), "alice@example.com");
  EXPECT_EQ(browser.get("/v1/session").status, 200) << "the cookie works too";

  auto again = browser.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  EXPECT_EQ(again.status, 400);
  EXPECT_EQ(field(again.body, "error"), "used_token");

  EXPECT_EQ(field(browser.get("/v1/magic-links/status?flow_id=" + flow_id).body, "status"),
            "completed");

  auto out_of_session = browser.request("POST", "/v1/session/logout", "", "", {});
  EXPECT_EQ(out_of_session.status, 204);
  EXPECT_EQ(browser.cookies.count("lg_session"), 0u) << "the cookie is cleared";
  auto after = api.get("/v1/session", {{"Authorization", "Bearer " + access_token}});
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(field(after.body, "error"), "unauthorized");
}

TEST(Flow, TheAskingBrowserContinuesByItself) {
  TestServer server;
  HttpClient browser = server.client();
  browser.post_json("/v1/magic-links", start_body("same@example.com"));
  auto message = server.wait_for_message("same@example.com");
  auto page =
      browser.get("/v1/magic-links/verify?token=" + message.token, {{"Accept", "text/html"}});
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find(".submit()"), std::string::npos);
  EXPECT_NE(page.body.find("Signing you in"), std::string::npos);
}

TEST(Flow, OtherBrowserSeesWhenAndFromWhatDevice) {
  TestServer server;
  HttpClient asker = server.client();
  asker.post_json(
      "/v1/magic-links", start_body("dev@example.com"),
      {{"User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"}});
  auto message = server.wait_for_message("dev@example.com");
  auto page = server.client().get("/v1/magic-links/verify?token=" + message.token,
                                  {{"Accept", "text/html"}});
  EXPECT_NE(page.body.find("Firefox on Linux"), std::string::npos) << page.body;
  EXPECT_NE(page.body.find("UTC on"), std::string::npos);
}

TEST(Flow, CodeSignIn) {
  TestServer server;
  HttpClient browser = server.client();
  auto started = browser.post_json("/v1/magic-links", start_body("+1 555 123 4567"));
  ASSERT_EQ(started.status, 202) << started.body;
  auto message = server.wait_for_message("+15551234567");
  EXPECT_NE(message.text.find("#" + message.code), std::string::npos)
      << "SMS carries the WebOTP line";
  // flow_id may come from the lg_flow cookie.
  auto in = browser.post_json("/v1/otp/verify", "{\"code\":\"" + message.code + "\"}");
  ASSERT_EQ(in.status, 200) << in.body;
  EXPECT_EQ(json(in.body)->getObject("user")->getValue<std::string>("phone"), "+15551234567");
  auto link =
      server.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  EXPECT_EQ(field(link.body, "error"), "used_token") << "the flow is done: its link is too";
}

std::string wrong_code(const std::string& right) {
  return right == "000000" ? "111111" : "000000";
}

TEST(Flow, FourWrongCodesThenTheRightOneSucceeds) {
  TestServer server;
  auto started = server.client().post_json("/v1/magic-links", start_body("otp@example.com"));
  const std::string flow_id = field(started.body, "flow_id");
  auto message = server.wait_for_message("otp@example.com");
  HttpClient c = server.client();
  for (int i = 0; i < 4; ++i) {
    auto r = c.post_json("/v1/otp/verify", "{\"flow_id\":\"" + flow_id + "\",\"code\":\"" +
                                               wrong_code(message.code) + "\"}");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(field(r.body, "error"), "invalid_token");
  }
  auto r = c.post_json("/v1/otp/verify",
                       "{\"flow_id\":\"" + flow_id + "\",\"code\":\"" + message.code + "\"}");
  EXPECT_EQ(r.status, 200) << r.body;
}

TEST(Flow, TheFifthWrongCodeKillsTheFlow) {
  TestServer server;
  auto started = server.client().post_json("/v1/magic-links", start_body("otp5@example.com"));
  const std::string flow_id = field(started.body, "flow_id");
  auto message = server.wait_for_message("otp5@example.com");
  HttpClient c = server.client();
  for (int i = 0; i < 5; ++i) {
    c.post_json("/v1/otp/verify",
                "{\"flow_id\":\"" + flow_id + "\",\"code\":\"" + wrong_code(message.code) + "\"}");
  }
  auto r = c.post_json("/v1/otp/verify",
                       "{\"flow_id\":\"" + flow_id + "\",\"code\":\"" + message.code + "\"}");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(field(r.body, "error"), "invalid_token");
  EXPECT_EQ(field(c.get("/v1/magic-links/status?flow_id=" + flow_id).body, "status"), "expired");
  auto link = c.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  EXPECT_EQ(link.status, 400) << "a dead flow's link is dead too";
}

TEST(Flow, ParallelCodeGuessesCannotExceedTheLimit) {
  TestServer server;
  auto started = server.client().post_json("/v1/magic-links", start_body("brute@example.com"));
  const std::string flow_id = field(started.body, "flow_id");
  auto message = server.wait_for_message("brute@example.com");
  std::atomic<int> answered{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&, i] {
      char guess[16];
      std::snprintf(guess, sizeof guess, "%06d", 900000 + i);
      if (message.code == guess) return;
      auto r = server.client().post_json(
          "/v1/otp/verify", "{\"flow_id\":\"" + flow_id + "\",\"code\":\"" + guess + "\"}");
      if (r.status == 400) ++answered;
    });
  }
  for (auto& t : threads) t.join();
  auto r = server.client().post_json(
      "/v1/otp/verify", "{\"flow_id\":\"" + flow_id + "\",\"code\":\"" + message.code + "\"}");
  EXPECT_EQ(r.status, 400) << "after 20 parallel wrong guesses the right code must not work";
}

void expect_one_of_twenty_concurrent_redeems_to_win(const TestConfig& config) {
  TestServer server(config);
  server.client().post_json("/v1/magic-links", start_body("race@example.com"));
  auto message = server.wait_for_message("race@example.com");
  std::atomic<int> ok{0}, used{0}, other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 20; ++i) {
    threads.emplace_back([&] {
      auto r = server.client().post_json("/v1/magic-links/verify",
                                         "{\"token\":\"" + message.token + "\"}");
      if (r.status == 200) {
        ++ok;
      } else if (field(r.body, "error") == "used_token") {
        ++used;
      } else {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 1);
  EXPECT_EQ(used.load(), 19);
  EXPECT_EQ(other.load(), 0);
  // And afterwards, one at a time.
  auto again =
      server.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  EXPECT_EQ(field(again.body, "error"), "used_token");
}

TEST(Flow, ExactlyOneOfTwentyConcurrentRedeemsWins) {
  expect_one_of_twenty_concurrent_redeems_to_win(TestConfig{});
}

TEST(Flow, ExactlyOneOfTwentyConcurrentRedeemsWinsWithTokenCallsOnTheRequestsThread) {
  // Then the plugin calls run on the twenty request threads themselves, with no thread of the
  // plugin's own between them and the database.
  TestConfig config;
  config.token_call_timeout = "0s";
  config.users_call_timeout = "0s";
  expect_one_of_twenty_concurrent_redeems_to_win(config);
}

TEST(Flow, ANewRequestSupersedesTheOldLink) {
  TestServer server;
  server.client().post_json("/v1/magic-links", start_body("twice@example.com"));
  auto first = server.wait_for_message("twice@example.com");
  server.client().post_json("/v1/magic-links", start_body("twice@example.com"));
  auto second = server.wait_for_message("twice@example.com", 1);
  ASSERT_NE(first.token, second.token);
  auto old =
      server.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + first.token + "\"}");
  EXPECT_EQ(old.status, 400);
  EXPECT_EQ(field(old.body, "error"), "invalid_token");
  EXPECT_EQ(server.client()
                .post_json("/v1/magic-links/verify", "{\"token\":\"" + second.token + "\"}")
                .status,
            200);
}

TEST(Flow, LinksExpire) {
  auto clock = std::make_shared<host::ManualClock>(static_cast<std::int64_t>(std::time(nullptr)));
  TestServer server({}, clock);
  auto started = server.client().post_json("/v1/magic-links", start_body("late@example.com"));
  auto message = server.wait_for_message("late@example.com");
  clock->advance(std::chrono::minutes(16));
  auto page = server.client().get("/v1/magic-links/verify?token=" + message.token,
                                  {{"Accept", "text/html"}});
  EXPECT_EQ(page.status, 400);
  EXPECT_NE(page.body.find("This link has expired"), std::string::npos);
  EXPECT_NE(page.body.find("action=\"/v1/magic-links\""), std::string::npos) << "offers a new link";
  auto r =
      server.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  EXPECT_EQ(field(r.body, "error"), "expired_token");
  EXPECT_EQ(field(server.client()
                      .get("/v1/magic-links/status?flow_id=" + field(started.body, "flow_id"))
                      .body,
                  "status"),
            "expired");
}

TEST(Flow, UnknownIdentifiersGetTheSameAnswerAndNoMessage) {
  TestConfig config;
  config.signup = "false";
  TestServer server(config);
  // Make a user the only way there is without sign-up: through the store.
  ASSERT_TRUE(server.runtime().users().create({sdk::AddressKind::email, "known@example.com"}).ok());
  HttpClient a = server.client(), b = server.client();
  auto known = a.post_json("/v1/magic-links", start_body("known@example.com"));
  auto unknown = b.post_json("/v1/magic-links", start_body("stranger@example.com"));
  EXPECT_EQ(known.status, 202);
  EXPECT_EQ(unknown.status, known.status);
  EXPECT_EQ(json(unknown.body)->getNames(), json(known.body)->getNames());
  EXPECT_EQ(field(unknown.body, "status"), "sent");
  EXPECT_EQ(a.cookies.count("lg_flow"), b.cookies.count("lg_flow"));
  server.wait_for_message("known@example.com");
  // The stranger's message was stored like the user's and discarded unsent; with the one real
  // message delivered, nothing is left that could still reach the stranger.
  EXPECT_EQ(server.wait_for_outbox("suppressed", 1), 1);
  EXPECT_EQ(server.wait_for_outbox("sent", 1), 1);
  EXPECT_EQ(server.runtime().outbox().depth().value(), 0);
  EXPECT_EQ(server.messages_for("stranger@example.com"), 0u);
  EXPECT_EQ(server.runtime().users().find({sdk::AddressKind::email, "stranger@example.com"}).code(),
            sdk::ErrorCode::not_found);
}

TEST(Flow, SignUpCreatesTheUserOnlyOnVerifiedSignIn) {
  TestServer server;
  server.client().post_json("/v1/magic-links", start_body("new@example.com"));
  auto message = server.wait_for_message("new@example.com");
  EXPECT_EQ(server.runtime().users().find({sdk::AddressKind::email, "new@example.com"}).code(),
            sdk::ErrorCode::not_found);
  ASSERT_EQ(server.client()
                .post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}")
                .status,
            200);
  EXPECT_TRUE(server.runtime().users().find({sdk::AddressKind::email, "new@example.com"}).ok());
}

TEST(Flow, BrowserFormsGetPagesAndRedirects) {
  TestServer server;
  HttpClient browser = server.client();
  auto home = browser.get("/", {{"Accept", "text/html"}});
  EXPECT_EQ(home.status, 200);
  EXPECT_NE(home.body.find("action=\"/v1/magic-links\""), std::string::npos);
  auto inbox = browser.post_form("/v1/magic-links",
                                 "identifier=" + url_encode("form@example.com") +
                                     "&redirect_uri=" + url_encode("https://app.example.com/done") +
                                     "&csrf=" + csrf_of(home.body));
  ASSERT_EQ(inbox.status, 202) << inbox.body;
  EXPECT_NE(inbox.body.find("Check your inbox"), std::string::npos);
  EXPECT_NE(inbox.body.find("autocomplete=\"one-time-code\""), std::string::npos);
  auto message = server.wait_for_message("form@example.com");
  auto done = browser.post_form("/v1/magic-links/verify",
                                "token=" + message.token + "&csrf=" + csrf_of(inbox.body));
  EXPECT_EQ(done.status, 303);
  EXPECT_EQ(done.header("location"), "https://app.example.com/done");
  EXPECT_EQ(browser.get("/signed-in", {{"Accept", "text/html"}}).status, 200);
}

TEST(Flow, RefusesRedirectsOffTheAllowList) {
  TestServer server;
  for (const char* bad :
       {"https://evil.example.com/", "https://app.example.com@evil.com/", "javascript:alert(1)"}) {
    auto r = server.client().post_json(
        "/v1/magic-links",
        "{\"identifier\":\"a@example.com\",\"redirect_uri\":\"" + std::string(bad) + "\"}");
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(field(r.body, "error"), "redirect_not_allowed") << bad;
  }
}

TEST(Flow, ConfirmPageOffConsumesOnGet) {
  TestConfig config;
  config.verify = "{ confirm_page: false }";
  TestServer server(config);
  HttpClient browser = server.client();
  browser.post_json("/v1/magic-links", start_body("direct@example.com"));
  auto message = server.wait_for_message("direct@example.com");
  auto r = browser.get("/v1/magic-links/verify?token=" + message.token, {{"Accept", "text/html"}});
  EXPECT_EQ(r.status, 303);
  EXPECT_EQ(r.header("location"), "/signed-in");
  EXPECT_EQ(server.client()
                .post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}")
                .status,
            400);
}

TEST(Flow, SameBrowserBindingRefusesOtherBrowsers) {
  TestConfig config;
  config.verify = "{ require_same_browser: true }";
  TestServer server(config);
  HttpClient asker = server.client();
  asker.post_json("/v1/magic-links", start_body("bound@example.com"));
  auto message = server.wait_for_message("bound@example.com");
  auto other =
      server.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  EXPECT_EQ(other.status, 400);
  EXPECT_NE(field(other.body, "error_description").find("enter the code"), std::string::npos);
  // A browser gets a page that says so and points to the code, and the link is still unused.
  HttpClient other_browser = server.client();
  auto confirm =
      other_browser.get("/v1/magic-links/verify?token=" + message.token, {{"Accept", "text/html"}});
  ASSERT_EQ(confirm.status, 200);
  auto page = other_browser.post_form("/v1/magic-links/verify",
                                      "token=" + message.token + "&csrf=" + csrf_of(confirm.body));
  EXPECT_EQ(page.status, 400);
  EXPECT_NE(page.header("content-type").find("text/html"), std::string::npos);
  EXPECT_NE(page.body.find("enter the code there"), std::string::npos);
  EXPECT_EQ(
      asker.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}").status,
      200)
      << "the refusal consumed nothing";
}

TEST(Flow, HostileInputGetsClearErrorsAndTheServerKeepsServing) {
  TestServer server;
  HttpClient c = server.client();
  EXPECT_EQ(c.post_json("/v1/magic-links",
                        "{\"identifier\":\"" + std::string(20000, 'a') + "@example.com\"}")
                .status,
            413);
  EXPECT_EQ(
      c.request("POST", "/v1/magic-links", "text/plain", "identifier=a@example.com", {}).status,
      415);
  for (const char* bad :
       {"{", "[]", "\"str\"", "{\"identifier\":{\"nested\":1}}", "{\"identifier\":[1]}",
        "{\"identifier\":\"a@example.com\\r\\nBcc: x@example.com\"}", "{\"identifier\":\"nobody\"}",
        "{\"identifier\":\"a@example.com\",\"channel\":\"pigeon\"}", "{}"}) {
    auto r = c.post_json("/v1/magic-links", bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_EQ(field(r.body, "error"), "invalid_request") << bad;
  }
  std::string deep(5000, '[');
  EXPECT_EQ(c.post_json("/v1/magic-links", deep).status, 400);
  EXPECT_EQ(c.post_json("/v1/otp/verify", "{\"flow_id\":\"x\",\"code\":\"12ab56\"}").status, 400);
  EXPECT_EQ(c.post_json("/v1/magic-links/verify", "{\"token\":\"garbage\"}").status, 400);
  auto missing = c.get("/nope");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(field(missing.body, "error"), "not_found");
  auto wrong = c.request("DELETE", "/v1/magic-links", "", "", {});
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("allow"), "POST");
  EXPECT_EQ(c.get("/healthz").status, 200);
  EXPECT_EQ(c.post_json("/v1/magic-links", start_body("still@example.com")).status, 202);
}

TEST(Flow, OperationsEndpoints) {
  TestServer server;
  HttpClient c = server.client();
  EXPECT_EQ(c.get("/healthz").status, 200);
  auto ready = c.get("/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  c.post_json("/v1/magic-links", start_body("m@example.com"));
  server.wait_for_message("m@example.com");
  auto metrics = c.get("/metrics");
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(
      metrics.body.find("linkgate_http_requests_total{route=\"/v1/magic-links\",status=\"202\"} 1"),
      std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("linkgate_links_issued_total 1"), std::string::npos);
  EXPECT_NE(metrics.body.find("linkgate_http_request_seconds_bucket"), std::string::npos);
  // The start was answered from its commit (http/answer_later.h), counted and timed as any.
  EXPECT_NE(metrics.body.find("linkgate_http_answered_later_total 1"), std::string::npos);
}

// One sign-in seen end to end on /metrics: issued, delivered, the confirm page opened (first by a
// mail scanner, then by the person's browser), redeemed; each view by user-agent family; the
// token and user plugins' call times; the build.
TEST(Flow, MetricsTellTheSignInFunnelEndToEnd) {
  TestServer server;
  HttpClient c = server.client();
  ASSERT_EQ(c.post_json("/v1/magic-links", start_body("funnel@example.com")).status, 202);
  auto message = server.wait_for_message("funnel@example.com");
  ASSERT_EQ(server.wait_for_outbox("sent", 1), 1);
  const std::string link = "/v1/magic-links/verify?token=" + message.token;
  EXPECT_EQ(c.get(link, {{"User-Agent", "Microsoft Office/16.0 (Microsoft Outlook 16.0)"}}).status,
            200);
  EXPECT_EQ(c.get(link, {{"User-Agent",
                          "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
                          "(KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36"}})
                .status,
            200);
  ASSERT_EQ(c.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}").status,
            200);
  const std::string m = c.get("/metrics").body;
  for (const char* line : {
           "linkgate_signin_funnel_total{stage=\"issued\"} 1",
           "linkgate_signin_funnel_total{stage=\"delivered\"} 1",
           "linkgate_signin_funnel_total{stage=\"confirm_viewed\"} 1",
           "linkgate_signin_funnel_total{stage=\"redeemed\"} 1",
           "linkgate_confirm_page_views_total{ua_family=\"microsoft_office\"} 1",
           "linkgate_confirm_page_views_total{ua_family=\"chrome\"} 1",
           "linkgate_outbox_oldest_age_seconds 0",
       }) {
    EXPECT_NE(m.find(line), std::string::npos) << line << "\n" << m;
  }
  EXPECT_NE(m.find("linkgate_plugin_call_seconds_count{plugin=\"jwt\",method=\"issue\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("linkgate_plugin_call_seconds_count{plugin=\"sql\",method=\"find\"}"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("linkgate_build_info{version=\""), std::string::npos) << m;
  // The start and the redeem were both answered from their commits.
  EXPECT_NE(m.find("linkgate_http_answered_later_total 2"), std::string::npos) << m;
}

// Before any sign-in, the funnel, the links' ends and the channel's sent count are there at 0
// (docs/metrics.md), so a rate() over them sees the first one.
TEST(Flow, TheFunnelAndTheChannelsSentCountAreRenderedAtZeroBeforeAnySignIn) {
  TestServer server;
  const std::string m = server.client().get("/metrics").body;
  for (const char* line : {
           "linkgate_signin_funnel_total{stage=\"issued\"} 0\n",
           "linkgate_signin_funnel_total{stage=\"delivered\"} 0\n",
           "linkgate_signin_funnel_total{stage=\"confirm_viewed\"} 0\n",
           "linkgate_signin_funnel_total{stage=\"redeemed\"} 0\n",
           "linkgate_links_issued_total 0\n",
           "linkgate_links_redeemed_total 0\n",
           "linkgate_deliveries_total{channel=\"outbox\",outcome=\"sent\"} 0\n",
       }) {
    EXPECT_NE(m.find(line), std::string::npos) << line << "\n" << m;
  }
}

// A link a mail scanner opened and nobody redeemed: counted by the scanner's family once its
// flow is swept, a day after it expired — by the outbox worker, off the request path.
TEST(Flow, ScannerViewsOfLinksNeverRedeemedAreCountedWhenTheFlowIsSwept) {
  auto clock = std::make_shared<host::ManualClock>(static_cast<std::int64_t>(std::time(nullptr)));
  TestServer server({}, clock);
  HttpClient c = server.client();
  ASSERT_EQ(c.post_json("/v1/magic-links", start_body("scanned@example.com")).status, 202);
  auto message = server.wait_for_message("scanned@example.com");
  EXPECT_EQ(c.get("/v1/magic-links/verify?token=" + message.token,
                  {{"User-Agent", "Mozilla/5.0 (compatible; BingPreview/1.0b)"}})
                .status,
            200);
  clock->advance(std::chrono::hours(49));
  std::string m;
  for (int i = 0; i < 100; ++i) {
    m = c.get("/metrics").body;
    if (m.find("linkgate_flows_swept_total") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_NE(m.find("linkgate_flows_swept_total 1"), std::string::npos) << m;
  EXPECT_NE(m.find("linkgate_confirm_views_unredeemed_total{ua_family=\"bing_preview\"} 1"),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("linkgate_signin_funnel_total{stage=\"redeemed\"} 0\n"), std::string::npos);
}

// The whole exposition after a busy flow, read by Prometheus's own client parser: every family
// typed, no sample twice, every histogram cumulative with +Inf equal to its count.
TEST(Flow, TheMetricsExpositionParsesWithPrometheusOwnParser) {
  TestServer server;
  HttpClient c = server.client();
  c.post_json("/v1/magic-links", start_body("p@example.com"));
  auto message = server.wait_for_message("p@example.com");
  c.get("/v1/magic-links/verify?token=" + message.token);
  c.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  c.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");  // used
  c.post_json("/v1/otp/verify", "{\"flow_id\":\"nope\",\"code\":\"123456\"}");
  c.get("/nope");
  c.get("/readyz");
  const std::string file = server.dir().file("metrics.txt");
  const std::string exposition = c.get("/metrics").body;
  // The core store's commits too (SQLite here): one sign-in start waited for one at least.
  EXPECT_NE(exposition.find("# TYPE linkgate_sqlite_commit_wait_seconds histogram\n"),
            std::string::npos);
  EXPECT_EQ(exposition.find("linkgate_sqlite_commit_wake_seconds_count 0\n"), std::string::npos);
  std::ofstream(file) << exposition;
  auto [rc, out] = run_python(std::string(source_dir()) + "/tests/tools/check_metrics.py", {file});
  EXPECT_EQ(rc, 0) << out;
  // And it fails on a broken one.
  std::ofstream(file)
      << "# TYPE x histogram\nx_bucket{le=\"1\"} 3\nx_bucket{le=\"+Inf\"} 2\nx_count 2\n";
  EXPECT_NE(run_python(std::string(source_dir()) + "/tests/tools/check_metrics.py", {file}).first,
            0);
}

TEST(Flow, AThrowingUserStoreFailsTheRequestNotTheServer) {
  TestConfig config;
  config.users_plugin = "throwing";
  config.extra_search_path = LINKGATE_TEST_PLUGIN_DIR;
  TestServer server(config);
  HttpClient c = server.client();
  auto r = c.post_json("/v1/magic-links", start_body("a@example.com"));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(field(r.body, "error"), "unavailable");
  EXPECT_EQ(r.body.find("exploded"), std::string::npos) << "no internals in responses";
  auto ready = c.get("/readyz");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("users:throwing"), std::string::npos) << ready.body;
  EXPECT_EQ(c.get("/healthz").status, 200);
}

TEST(Flow, ReloadSwapsSettingsAndRefusesBadOnes) {
  TestServer server;
  TestConfig config;
  config.extra = "branding: { title: Reloaded Title }\n";
  config::Diagnostics d;
  auto settings = config::load_settings_text(config.yaml(server.dir()), "r.yaml", d);
  ASSERT_TRUE(settings) << d.to_string();
  EXPECT_TRUE(server.server().reload(*settings).ok());
  EXPECT_NE(server.client().get("/").body.find("Reloaded Title"), std::string::npos);

  auto broken = *settings;
  broken.token.name = "does-not-exist";
  EXPECT_NE(server.server().reload(broken).to_string().find("no token plugin \"does-not-exist\""),
            std::string::npos);
  EXPECT_NE(server.client().get("/").body.find("Reloaded Title"), std::string::npos)
      << "the old config keeps serving";
}

TEST(Flow, ReplayCacheSurvivesAReload) {
  TestServer server;
  server.client().post_json("/v1/magic-links", start_body("replay@example.com"));
  auto message = server.wait_for_message("replay@example.com");
  ASSERT_EQ(server.client()
                .post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}")
                .status,
            200);
  config::Diagnostics d;
  auto settings = config::load_settings_text(TestConfig{}.yaml(server.dir()), "r.yaml", d);
  ASSERT_TRUE(server.server().reload(*settings).ok());
  EXPECT_EQ(server.client()
                .post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}")
                .status,
            400);
}

}  // namespace
}  // namespace linkgate::testing

namespace linkgate::testing {
namespace {

TEST(FaultContainment, ASlowOrGarbageUserStoreFailsRequestsNotTheServer) {
  TestConfig config;
  config.users_plugin = "stalling";
  config.users_call_timeout = "300ms";
  config.extra_search_path = LINKGATE_TEST_PLUGIN_DIR;
  TestServer server(config);
  // More stuck calls at once than the server has spare threads for, and still it answers.
  std::vector<std::thread> clients;
  std::atomic<int> unavailable{0};
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 12; ++i) {
    clients.emplace_back([&] {
      auto r = server.client().post_json("/v1/magic-links", start_body("slow@example.com"));
      if (r.status == 503 && field(r.body, "error") == "unavailable") ++unavailable;
    });
  }
  EXPECT_EQ(server.client().get("/healthz").status, 200);
  for (auto& c : clients) c.join();
  EXPECT_EQ(unavailable.load(), 12);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4))
      << "callers waited for the stuck plugin (5 s) instead of its call_timeout (300 ms)";

  auto garbage = server.client().post_json("/v1/magic-links", start_body("garbage@example.com"));
  EXPECT_EQ(garbage.status, 503);
  EXPECT_EQ(garbage.body.find("not-an-address"), std::string::npos) << "no plugin output leaks";
  EXPECT_EQ(server.client().post_json("/v1/magic-links", start_body("fine@example.com")).status,
            202);
}

// Whether the process has @p library mapped.
bool mapped(const std::string& library) {
  std::ifstream maps("/proc/self/maps");
  const std::string text((std::istreambuf_iterator<char>(maps)), {});
  return text.find(library) != std::string::npos;
}

TEST(FaultContainment, AReloadNeverUnloadsAPluginWhileOneOfItsCallsIsStuck) {
  TestConfig config;
  config.users_plugin = "stalling";
  config.users_call_timeout = "200ms";
  config.extra_search_path = LINKGATE_TEST_PLUGIN_DIR;
  TestServer server(config);
  const std::string library = "linkgate-users-stalling.so";
  ASSERT_TRUE(mapped(library));
  // The call gives up after 200 ms; the plugin's thread sleeps in its code for 5 s more.
  EXPECT_EQ(server.client().post_json("/v1/magic-links", start_body("slow@example.com")).status,
            503);

  // Other search paths: the server drops its plugin host, and with it its cache of libraries, so
  // nothing but the stuck call holds the stalling plugin's library.
  TestConfig next = config;
  next.users_plugin = "sql";
  next.extra_search_path = "";
  config::Diagnostics d;
  auto settings = config::load_settings_text(next.yaml(server.dir()), "r.yaml", d);
  ASSERT_TRUE(settings) << d.to_string();
  ASSERT_TRUE(server.server().reload(*settings).ok());
  // The old runtime is gone (no request holds it); the stuck call still runs the plugin's code.
  EXPECT_EQ(server.client().post_json("/v1/magic-links", start_body("fine@example.com")).status,
            202);
  EXPECT_TRUE(mapped(library)) << "unloaded under a call that is still running in it";

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (mapped(library) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_FALSE(mapped(library)) << "kept loaded after its last call ended";
  EXPECT_EQ(server.client().get("/healthz").status, 200);
}

// A redeem's link entry (the jwt replay cache, in the core database) commits with the flow's
// completion: one write per redeem, not two — also after a reload, which keeps the database
// handle the key store writes through. (With the token plugin's calls on its own threads,
// call_timeout above 0, the entry commits on its own.)
TEST(Flow, ARedeemWritesItsLinksEntryAndTheCompletionInOneCommit) {
  TestConfig config;
  config.token_call_timeout = "0s";
  TestServer server(config);
  const auto first_database = server.runtime().database();
  auto redeem_ten = [&](const std::string& round) {
    std::vector<std::string> tokens;
    for (int i = 0; i < 10; ++i) {
      const std::string who = "one-commit-" + round + std::to_string(i) + "@example.com";
      server.client().post_json("/v1/magic-links", start_body(who));
      tokens.push_back(server.wait_for_message(who).token);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the outbox's own writes
    auto writes = [&] { return server.runtime().database()->group_commit()->calls(); };
    const auto before = writes();
    for (const auto& token : tokens) {
      EXPECT_EQ(server.client()
                    .post_json("/v1/magic-links/verify", "{\"token\":\"" + token + "\"}")
                    .status,
                200);
    }
    // Ten (twenty before); a little room for a sweep or an outbox write landing meanwhile.
    EXPECT_LE(writes() - before, 14u) << round;
    for (const auto& token : tokens) {
      auto again =
          server.client().post_json("/v1/magic-links/verify", "{\"token\":\"" + token + "\"}");
      EXPECT_EQ(field(again.body, "error"), "used_token") << round;
    }
  };
  redeem_ten("a");
  config::Diagnostics d;
  auto settings = config::load_settings_text(config.yaml(server.dir()), "r.yaml", d);
  ASSERT_TRUE(server.server().reload(*settings).ok());
  EXPECT_EQ(server.runtime().database(), first_database)
      << "a reload naming the same database keeps its handle: one writer for the file";
  redeem_ten("b");
}

}  // namespace
}  // namespace linkgate::testing
