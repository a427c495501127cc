// The route table on plain values: a Request in, a Response out, no socket. The runtime is the
// real one (plugins, SQLite in a temp folder); its outbox worker is not started.

#include "http/routes.h"

#include <Poco/JSON/Parser.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "config/settings_loader.h"
#include "http/answer_later.h"
#include "support/test_config.h"
#include "wiring/runtime.h"

namespace linkgate::http {
namespace {

class RoutesTest : public ::testing::Test {
 protected:
  RoutesTest() {
    config::Diagnostics d;
    testing::TestConfig config;
    config.public_base_url = "https://id.example.com";
    auto settings = config::load_settings_text(config.yaml(dir), "routes.yaml", d);
    if (!settings) throw std::runtime_error(d.to_string());
    runtime = wiring::Runtime::build(*settings, wiring::SharedState::create(*settings));
  }

  Response answer(std::string method, std::string target, std::string body = "",
                  HeaderList headers = {}) {
    Request r{std::move(method), std::move(target), std::move(headers), std::move(body),
              "192.0.2.10"};
    return dispatch(r, *runtime);
  }
  Response post_json(const std::string& target, const std::string& body, HeaderList more = {}) {
    more.emplace_back("Content-Type", "application/json");
    return answer("POST", target, body, more);
  }
  static Poco::JSON::Object::Ptr json(const Response& r) {
    return Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
  }
  static std::string field(const Response& r, const std::string& name) {
    return json(r)->getValue<std::string>(name);
  }

  testing::TempDir dir;
  std::shared_ptr<wiring::Runtime> runtime;
};

TEST_F(RoutesTest, HealthAnswersJsonWithTheSecurityHeaders) {
  auto r = answer("GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  EXPECT_EQ(r.header("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(r.header("X-Frame-Options"), "DENY");
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_FALSE(r.close);
  EXPECT_EQ(answer("HEAD", "/healthz").status, 200) << "HEAD is GET without the body";
}

TEST_F(RoutesTest, UnknownPathsAndMethodsAreRefusedInTheErrorShape) {
  auto missing = answer("GET", "/wp-admin");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(field(missing, "error"), "not_found");
  auto wrong = answer("DELETE", "/v1/magic-links");
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(wrong.header("Allow"), "POST");
  EXPECT_EQ(field(wrong, "error"), "method_not_allowed");
  EXPECT_EQ(route_label("/wp-admin"), "other");
  EXPECT_EQ(route_label("/v1/magic-links"), "/v1/magic-links");
}

// A label is told apart by its address (server::RequestMetrics): the same path gives the same
// string, which is one of route_labels(), "other" last.
TEST(RouteLabels, EachPathGivesOneOfTheLabelsItselfAndUnknownPathsOther) {
  const auto labels = route_labels();
  const std::string& session = route_label("/v1/session");
  EXPECT_EQ(&route_label(std::string("/v1/") + "session"), &session);
  EXPECT_NE(std::find(labels.begin(), labels.end(), &session), labels.end());
  EXPECT_EQ(&route_label("/nothing/here"), labels.back());
  EXPECT_EQ(*labels.back(), "other");
  std::set<std::string> paths;
  for (const auto& [method, path] : routes()) paths.insert(path);
  EXPECT_EQ(labels.size(), paths.size() + 1);
}

TEST_F(RoutesTest, StartingASignInAnswers202WithAFlowCookie) {
  auto r = post_json("/v1/magic-links", R"({"identifier":"routes@example.com"})");
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(field(r, "status"), "sent");
  const std::string flow_id = field(r, "flow_id");
  EXPECT_EQ(json(r)->getValue<int>("expires_in"), 900);
  EXPECT_NE(r.header("Set-Cookie").find("lg_flow=" + flow_id + "; Path=/; HttpOnly; SameSite=Lax"),
            std::string::npos)
      << r.header("Set-Cookie");
  EXPECT_NE(r.header("Set-Cookie").find("; Secure"), std::string::npos) << "https base URL";
  EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");

  auto status = answer("GET", "/v1/magic-links/status?flow_id=" + flow_id);
  EXPECT_EQ(status.status, 200);
  EXPECT_EQ(status.body, R"({"status":"pending"})");
  auto by_cookie =
      answer("GET", "/v1/magic-links/status", "", {{"Cookie", "a=b; lg_flow=" + flow_id}});
  EXPECT_EQ(by_cookie.body, R"({"status":"pending"})");
}

// Inside a front end's answer scope a start takes its answer: the response dispatch returns is
// not it; the maker posted once the commit is done makes what the waiting path answers, and keeps
// the runtime alive until then — a reload that drops every other reference meanwhile does not
// take the flow, its plugins or its settings from under it.
TEST_F(RoutesTest, AStartAnsweredFromItsCommitKeepsItsRuntimeUntilTheAnswerIsMade) {
  std::mutex m;
  std::condition_variable posted;
  std::vector<MakeAnswer> makers;
  struct Context {
    std::mutex* m;
    std::condition_variable* posted;
    std::vector<MakeAnswer>* makers;
  } context{&m, &posted, &makers};
  auto make_post = [](void* c) -> PostAnswer {
    auto* at = static_cast<Context*>(c);
    return [at](MakeAnswer make) {
      std::lock_guard lock(*at->m);
      at->makers->push_back(std::move(make));
      at->posted->notify_all();
    };
  };
  std::vector<AnswerStep> steps;
  {
    AnswerLater::Scope scope(make_post, &context, steps);
    post_json("/v1/magic-links", R"({"identifier":"not an address"})");
    EXPECT_FALSE(scope.taken()) << "a refusal known at once is answered at once";
    post_json("/v1/magic-links", R"({"identifier":"later@example.com"})");
    EXPECT_TRUE(scope.taken());
  }
  std::weak_ptr<wiring::Runtime> watch = runtime;
  runtime.reset();  // a reload: nobody but the answer still to be made holds it
  {
    std::unique_lock lock(m);
    ASSERT_TRUE(
        posted.wait_for(lock, std::chrono::seconds(10), [&] { return makers.size() == 1; }));
  }
  EXPECT_FALSE(watch.expired()) << "kept for the answer";
  const Response made = makers.front()();
  makers.clear();
  EXPECT_TRUE(watch.expired()) << "let go once the answer is made";
  ASSERT_EQ(made.status, 202) << made.body;
  EXPECT_EQ(field(made, "status"), "sent");
  EXPECT_NE(made.header("Set-Cookie").find("lg_flow=" + field(made, "flow_id")), std::string::npos);
  EXPECT_EQ(made.header("Cache-Control"), "no-store") << "what the handler set before it took it";
}

TEST_F(RoutesTest, BadBodiesGetTheirOwnAnswers) {
  EXPECT_EQ(
      answer("POST", "/v1/magic-links", "identifier=x", {{"Content-Type", "text/plain"}}).status,
      415);
  auto bad_json = post_json("/v1/magic-links", "{\"identifier\":");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_EQ(field(bad_json, "error"), "invalid_request");
  auto nested = post_json("/v1/magic-links", R"({"identifier":{"a":1}})");
  EXPECT_EQ(field(nested, "error_description"), "nested JSON values are not accepted");
  auto quoted = post_json("/v1/magic-links", R"({"identifier":"a\"b\\c<script>"})");
  EXPECT_EQ(quoted.status, 400);
  EXPECT_NO_THROW(json(quoted)) << "error text with quotes is still valid JSON: " << quoted.body;
  auto form = answer("POST", "/v1/magic-links", "identifier=routes%40example.com",
                     {{"Content-Type", "application/x-www-form-urlencoded"}});
  EXPECT_EQ(form.status, 403) << "a form without its page's CSRF token";
  EXPECT_EQ(form.header("Content-Type"), "text/html; charset=utf-8") << "browsers get a page";
}

TEST_F(RoutesTest, PostsFromOtherSitesAreRefused) {
  auto r = post_json("/v1/magic-links", R"({"identifier":"routes@example.com"})",
                     {{"Origin", "https://evil.example.com"}});
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(field(r, "error"), "forbidden");
  EXPECT_EQ(post_json("/v1/magic-links", R"({"identifier":"routes@example.com"})",
                      {{"Origin", "https://id.example.com"}})
                .status,
            202);
}

TEST_F(RoutesTest, SessionsNeedAValidToken) {
  auto none = answer("GET", "/v1/session");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("WWW-Authenticate"), "Bearer");
  EXPECT_EQ(answer("GET", "/v1/session", "", {{"Authorization", "Bearer nope"}}).status, 401);
  EXPECT_EQ(answer("POST", "/v1/session/logout", "", {{"Content-Type", "application/json"}}).status,
            204);
}

TEST_F(RoutesTest, TheConfirmPageConsumesNothingAndNeedsAToken) {
  EXPECT_EQ(answer("GET", "/v1/magic-links/verify").status, 400);
  auto page = answer("GET", "/v1/magic-links/verify?token=garbage", "", {{"Accept", "text/html"}});
  EXPECT_EQ(page.status, 400);
  EXPECT_NE(page.header("Content-Security-Policy").find("nonce-"), std::string::npos);
  EXPECT_NE(page.body.find("This link is not valid"), std::string::npos);
}

TEST_F(RoutesTest, OperationsRoutes) {
  auto ready = answer("GET", "/readyz");
  EXPECT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.body, R"({"status":"ready"})");
  auto jwks = answer("GET", "/.well-known/jwks.json");
  EXPECT_EQ(jwks.status, 200);
  EXPECT_EQ(jwks.header("Cache-Control"), "public, max-age=300");
  EXPECT_NE(json(jwks)->getArray("keys"), nullptr);
  auto metrics = answer("GET", "/metrics");
  EXPECT_EQ(metrics.header("Content-Type"), "text/plain; version=0.0.4");
}

TEST(ReasonPhrase, EachStatusWeAnswerHasItsOwn) {
  EXPECT_STREQ(reason_phrase(200), "OK");
  EXPECT_STREQ(reason_phrase(202), "Accepted");
  EXPECT_STREQ(reason_phrase(204), "No Content");
  EXPECT_STREQ(reason_phrase(303), "See Other");
  EXPECT_STREQ(reason_phrase(400), "Bad Request");
  EXPECT_STREQ(reason_phrase(403), "Forbidden");
  EXPECT_STREQ(reason_phrase(413), "Content Too Large");
  EXPECT_STREQ(reason_phrase(415), "Unsupported Media Type");
  EXPECT_STREQ(reason_phrase(429), "Too Many Requests");
  EXPECT_STREQ(reason_phrase(503), "Service Unavailable");
}

TEST(Request, ReadsHeadersQueriesAndCookiesLikeAServer) {
  Request r{
      "GET",
      "/p/a?x=1&y=a%20b&x=2",
      {{"cookie", "a=1; lg_flow=\"abc\""}, {"Cookie", "b=2"}, {"X-Twice", "1"}, {"x-twice", "2"}},
      "",
      "203.0.113.5"};
  EXPECT_EQ(r.path(), "/p/a");
  EXPECT_EQ(r.query_string(), "x=1&y=a%20b&x=2");
  EXPECT_EQ(r.query("y"), "a b");
  EXPECT_EQ(r.query("missing"), "");
  EXPECT_EQ(r.cookie("lg_flow"), "abc");
  EXPECT_EQ(r.cookie("b"), "2") << "every Cookie header line counts";
  EXPECT_EQ(r.cookie("lg"), "");
  EXPECT_EQ(r.header("X-TWICE"), "1");
  EXPECT_EQ(r.headers_named("x-twice"), (std::vector<std::string>{"1", "2"}));
  Response out;
  out.add("Set-Cookie", "a=1");
  out.add("Set-Cookie", "b=2");
  out.set("Cache-Control", "no-store");
  out.set("cache-control", "public");
  EXPECT_EQ(out.headers.size(), 3u);
  EXPECT_EQ(out.header("Cache-Control"), "public");
}

}  // namespace
}  // namespace linkgate::http
