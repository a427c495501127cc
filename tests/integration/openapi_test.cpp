// docs/openapi.yaml against the server: every route the server answers is documented (and no
// other), and every response of a session that walks every route — successes, refusals, pages —
// matches the documented status, content type and JSON schema (tests/docs/check_openapi.py,
// with Python's jsonschema).

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "http/routes.h"
#include "support/json_fields.h"
#include "support/test_server.h"

namespace linkgate::testing {
namespace {

std::string openapi() {
  return std::string(source_dir()) + "/docs/openapi.yaml";
}
std::string checker() {
  return std::string(source_dir()) + "/tests/docs/check_openapi.py";
}

TEST(OpenApi, EveryRouteTheServerAnswersIsDocumentedAndNoOther) {
  TempDir dir;
  const std::string file = dir.file("routes.txt");
  {
    std::ofstream out(file);
    for (const auto& [method, path] : http::routes()) out << method << " " << path << "\n";
  }
  auto [rc, out] = run_python(checker(), {openapi(), "routes", file});
  EXPECT_EQ(rc, 0) << out;
  // The check sees an undocumented route for what it is.
  std::ofstream(file, std::ios::app) << "GET /v1/undocumented\n";
  auto [bad_rc, bad_out] = run_python(checker(), {openapi(), "routes", file});
  EXPECT_NE(bad_rc, 0);
  EXPECT_NE(bad_out.find("GET /v1/undocumented"), std::string::npos) << bad_out;
}

// Every request and what came back, for the checker.
class Recorder {
 public:
  explicit Recorder(HttpClient& client) : client_(client) {}
  Reply operator()(const std::string& method, const std::string& target,
                   const std::string& content_type = "", const std::string& body = "",
                   const std::map<std::string, std::string>& headers = {}) {
    Reply r = client_.request(method, target, content_type, body, headers);
    Poco::JSON::Object x;
    x.set("method", method);
    x.set("path", target.substr(0, target.find('?')));
    x.set("status", r.status);
    x.set("content_type", r.header("content-type"));
    x.set("body", r.body);
    exchanges_.add(x);
    seen_.insert(method + " " + target.substr(0, target.find('?')));
    return r;
  }
  void write(const std::string& file) const {
    std::ofstream out(file);
    exchanges_.stringify(out);
  }
  [[nodiscard]] const std::set<std::string>& seen() const { return seen_; }

 private:
  HttpClient& client_;
  Poco::JSON::Array exchanges_;
  std::set<std::string> seen_;
};

TEST(OpenApi, EveryResponseOfASessionThatWalksEveryRouteMatchesTheDocument) {
  TestConfig config;
  config.rate_limits = "{ per_identifier: 3/15m, per_client: 100000/1m, resend_cooldown: 0s }";
  TestServer server(config);
  HttpClient client = server.client();
  client.use_cookies = false;
  Recorder call(client);
  const std::string json = "application/json";
  const std::map<std::string, std::string> html{{"Accept", "text/html"}};

  // Pages and operations.
  call("GET", "/");
  call("GET", "/?redirect_uri=https%3A%2F%2Fapp.example.com%2Fdone");
  call("GET", "/signed-in");
  call("GET", "/healthz");
  call("HEAD", "/healthz");
  call("GET", "/readyz");
  call("GET", "/metrics");
  call("GET", "/.well-known/jwks.json");

  // Starting: accepted, as a page, refused in each way.
  auto started = call("POST", "/v1/magic-links", json, R"({"identifier":"walk@example.com"})");
  ASSERT_EQ(started.status, 202) << started.body;
  const std::string flow_id = field(started.body, "flow_id");
  call("POST", "/v1/magic-links", json, R"({"identifier":"page@example.com"})", html);
  call("POST", "/v1/magic-links", json, R"({})");
  call("POST", "/v1/magic-links", json, R"({"identifier":"not an address"})");
  call("POST", "/v1/magic-links", json,
       R"({"identifier":"a@example.com","redirect_uri":"https://evil.example/"})");
  call("POST", "/v1/magic-links", json, R"({"identifier":)");
  call("POST", "/v1/magic-links", "text/plain", "identifier=a@example.com");
  call("POST", "/v1/magic-links", "application/x-www-form-urlencoded",
       "identifier=a%40example.com");
  call("POST", "/v1/magic-links", json,
       "{\"identifier\":\"" + std::string(20000, 'a') + "@example.com\"}");
  for (int i = 0; i < 4; ++i) {
    call("POST", "/v1/magic-links", json, R"({"identifier":"often@example.com"})");
  }

  // The link: its page, its status, redeemed, refused.
  auto message = server.wait_for_message("walk@example.com");
  call("GET", "/v1/magic-links/verify?token=" + message.token);
  call("GET", "/v1/magic-links/verify");
  call("GET", "/v1/magic-links/verify?token=nonsense");
  call("GET", "/v1/magic-links/verify?token=nonsense", "", "", {{"Accept", "application/json"}});
  call("GET", "/v1/magic-links/status?flow_id=" + flow_id);
  call("GET", "/v1/magic-links/status");
  call("GET", "/v1/magic-links/status?flow_id=unknown");
  call("POST", "/v1/otp/verify", json, "{\"flow_id\":\"" + flow_id + "\",\"code\":\"000000\"}");
  call("POST", "/v1/otp/verify", json, R"({"code":"123456"})");
  auto in = call("POST", "/v1/magic-links/verify", json, "{\"token\":\"" + message.token + "\"}");
  ASSERT_EQ(in.status, 200) << in.body;
  call("POST", "/v1/magic-links/verify", json, "{\"token\":\"" + message.token + "\"}");
  call("POST", "/v1/magic-links/verify", json, R"({"token":""})");
  call("POST", "/v1/magic-links/verify", "application/x-www-form-urlencoded", "token=x");

  // The session, then signed out.
  const std::map<std::string, std::string> bearer{
      {"Authorization", "Bearer " + field(in.body, "access_token")}};
  call("GET", "/v1/session", "", "", bearer);
  call("GET", "/v1/session");
  call("POST", "/v1/session/logout", "", "", bearer);
  call("GET", "/v1/session", "", "", bearer);

  // What is not there.
  call("GET", "/v1/nothing-here");
  call("DELETE", "/healthz");
  call("PUT", "/v1/magic-links", json, "{}");

  for (const auto& [method, path] : http::routes()) {
    EXPECT_TRUE(call.seen().count(method + " " + path)) << method << " " << path << " not walked";
  }
  const std::string file = server.dir().file("exchanges.json");
  call.write(file);
  auto [rc, out] = run_python(checker(), {openapi(), "responses", file});
  EXPECT_EQ(rc, 0) << out;
  // Each kind of answer was among them: successes, every refusal, pages.
  EXPECT_NE(out.find("statuses: 200 202 204 400 401 403 404 405 413 415 429"), std::string::npos)
      << out;

  // And the check fails on a response the document does not describe.
  std::ofstream(file) << R"([{"method":"POST","path":"/v1/magic-links","status":202,)"
                      << R"("content_type":"application/json","body":"{\"status\":\"sent\"}"}])";
  auto [bad_rc, bad_out] = run_python(checker(), {openapi(), "responses", file});
  EXPECT_NE(bad_rc, 0);
  EXPECT_NE(bad_out.find("flow_id"), std::string::npos) << bad_out;
}

}  // namespace
}  // namespace linkgate::testing
