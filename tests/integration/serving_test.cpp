// How the server serves: HTTPS with modern TLS only and HSTS, deadlines that a slow client
// cannot outlast, and header limits — each while the server keeps answering everyone else.

#include <Poco/JSON/Parser.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>

#include <gtest/gtest.h>

#include "host/http_client.h"

#include <chrono>
#include <thread>

#include "support/json_fields.h"
#include "support/test_server.h"

namespace linkgate::testing {
namespace {

using namespace std::chrono_literals;

int port_of(const std::string& base_url) {
  return std::stoi(base_url.substr(base_url.rfind(':') + 1));
}

struct TlsServer {
  TempDir certs;
  std::unique_ptr<TestServer> server;
  /// @p config with server.tls added (its other parts kept).
  explicit TlsServer(TestConfig config = {}) {
    auto [rc, out] = run_python(std::string(source_dir()) + "/tests/tools/test_certificates.py",
                                {certs.path().string()});
    EXPECT_EQ(rc, 0) << out;
    config.server_extra += "  tls: { cert_file: " + certs.file("cert.pem") +
                           ", key_file: " + certs.file("key.pem") + " }\n";
    server = std::make_unique<TestServer>(config);
  }
  HttpClient client() const {
    HttpClient c = server->client();
    c.ca_file = certs.file("ca.pem");
    return c;
  }
};

TEST(Tls, ServesTheWholeFlowOverHttpsWithHstsAndSecureCookies) {
  TlsServer tls;
  ASSERT_EQ(tls.server->base_url().rfind("https://", 0), 0u);
  HttpClient browser = tls.client();
  auto started = browser.post_json("/v1/magic-links", "{\"identifier\":\"tls@example.com\"}");
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_EQ(started.header("strict-transport-security"), "max-age=31536000");
  EXPECT_NE(started.header("set-cookie").find("; Secure"), std::string::npos)
      << started.header("set-cookie");
  auto message = tls.server->wait_for_message("tls@example.com");
  auto in = browser.post_json("/v1/magic-links/verify", "{\"token\":\"" + message.token + "\"}");
  ASSERT_EQ(in.status, 200) << in.body;
  EXPECT_NE(in.header("set-cookie").find("lg_session="), std::string::npos);
  EXPECT_NE(in.header("set-cookie").find("HttpOnly; SameSite=Lax"), std::string::npos);
  EXPECT_NE(in.header("set-cookie").find("; Secure"), std::string::npos);
  EXPECT_EQ(browser.get("/v1/session").status, 200);
}

TEST(Tls, OnlyTls12AndNewerAreAccepted) {
  TlsServer tls;
  const std::string port = std::to_string(port_of(tls.server->base_url()));
  const std::string probe = std::string(source_dir()) + "/tests/tools/tls_probe.py";
  for (const char* version : {"TLSv1_2", "TLSv1_3"}) {
    auto [rc, out] = run_python(probe, {"127.0.0.1", port, tls.certs.file("ca.pem"), version});
    EXPECT_NE(out.find("accepted TLSv1."), std::string::npos) << version << ": " << out;
  }
  for (const char* version : {"TLSv1", "TLSv1_1"}) {
    auto [rc, out] = run_python(probe, {"127.0.0.1", port, tls.certs.file("ca.pem"), version});
    EXPECT_NE(out.find("refused"), std::string::npos) << version << ": " << out;
    EXPECT_EQ(out.find("accepted"), std::string::npos) << version << ": " << out;
  }
  EXPECT_EQ(tls.client().get("/healthz").status, 200);
}

// Starts are answered from their commit (http/answer_later.h). Sent pipelined in one TLS write,
// the later requests are already read when the first is answered: each answer made later must go
// on to the next request itself, in order, on the same TLS session.
TEST(Tls, PipelinedStartsAnsweredFromTheirCommitAreAllAnswered) {
  TlsServer tls;
  const std::string port = std::to_string(port_of(tls.server->base_url()));
  auto [rc, out] =
      run_python(std::string(source_dir()) + "/tests/tools/tls_pipeline.py",
                 {"127.0.0.1", port, tls.certs.file("ca.pem"), R"({"identifier":"p1@example.com"})",
                  R"({"identifier":"p2@example.com"})", R"({"identifier":"p3@example.com"})"});
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "HTTP/1.1 202 Accepted\nHTTP/1.1 202 Accepted\nHTTP/1.1 202 Accepted\nopen\n");
}

TEST(Tls, TheHostsHttpsClientRefusesAnUntrustedCertificateWithoutAnyPluginsHelp) {
  // Its own process (ctest runs each test alone): no smtp plugin has configured anything
  // process-wide. The server's certificate is signed by a private CA no system store trusts.
  TlsServer tls;
  host::PocoHttpClient client;
  sdk::HttpRequest request;
  request.method = "GET";
  request.url = tls.server->base_url() + "/healthz";
  request.timeout = 5s;
  const auto started = std::chrono::steady_clock::now();
  auto refused = client.send(request);
  ASSERT_FALSE(refused.ok()) << "an untrusted certificate was accepted";
  EXPECT_EQ(refused.code(), sdk::ErrorCode::retryable) << refused.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 4s) << "refused at once, never asked";
  EXPECT_EQ(tls.client().get("/healthz").status, 200) << "the server is fine for a client that "
                                                         "trusts its CA";
}

TEST(Tls, TheCsrfCookieIsAHostCookieUnderHttps) {
  TestConfig config;
  config.session_extra = "  cookie: { domain: example.com }\n";
  TlsServer tls(config);
  const auto cookie = tls.client().get("/", {{"Accept", "text/html"}}).header("set-cookie");
  const auto start = cookie.find("__Host-lg_csrf=");
  ASSERT_NE(start, std::string::npos) << cookie;
  const std::string line = cookie.substr(start, cookie.find('\n', start) - start);
  EXPECT_NE(line.find("; Secure"), std::string::npos) << line;
  EXPECT_NE(line.find("; Path=/"), std::string::npos) << line;
  EXPECT_EQ(line.find("Domain="), std::string::npos)
      << "a __Host- cookie names no domain: " << line;
}

TEST(Tls, PlainHttpSendsNoHsts) {
  TestServer server;
  EXPECT_EQ(server.client().get("/healthz").header("strict-transport-security"), "");
}

// Sends @p head, then one byte of @p drip every 300 ms; returns how long the server kept the
// connection open (capped at @p give_up).
std::chrono::milliseconds drip(const std::string& base_url, const std::string& head,
                               const std::string& drip, std::chrono::milliseconds give_up) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_of(base_url)));
  const auto start = std::chrono::steady_clock::now();
  socket.sendBytes(head.data(), static_cast<int>(head.size()));
  for (std::size_t i = 0; std::chrono::steady_clock::now() - start < give_up; ++i) {
    std::this_thread::sleep_for(300ms);
    try {
      const char c = drip[i % drip.size()];
      if (socket.sendBytes(&c, 1) <= 0) break;
      socket.setReceiveTimeout(Poco::Timespan(0, 1000));
      char buffer[512];
      if (socket.poll(Poco::Timespan(0), Poco::Net::Socket::SELECT_READ) &&
          socket.receiveBytes(buffer, sizeof buffer) <= 0) {
        break;  // closed by the server
      }
    } catch (const Poco::Exception&) {
      break;  // reset by the server
    }
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

TEST(Deadlines, ASlowClientIsCutOffAtItsDeadline) {
  TestConfig config;
  config.server_extra =
      "  header_timeout: 1s\n  request_timeout: 1s\n  keep_alive_timeout: 1s\n  threads: 2\n";
  TestServer server(config);
  // A head or a body sent a byte at a time, each byte well within any per-read timeout: the
  // deadline covers the whole head (header_timeout) and the whole body (request_timeout).
  std::vector<std::thread> clients;
  std::vector<std::chrono::milliseconds> held(4);
  for (std::size_t i = 0; i < held.size(); ++i) {
    clients.emplace_back([&, i] {
      held[i] =
          i % 2 == 0
              ? drip(server.base_url(), "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", "a", 15s)
              : drip(server.base_url(),
                     "POST /v1/magic-links HTTP/1.1\r\nHost: x\r\nContent-Type: "
                     "application/json\r\nContent-Length: 1000\r\n\r\n{\"identifier\":\"",
                     "a", 15s);
    });
  }
  for (auto& c : clients) c.join();
  for (auto h : held) EXPECT_LT(h, 10s) << "a dripping client was never cut off";
  EXPECT_EQ(server.client().get("/healthz").status, 200);
}

TEST(Deadlines, AnIdleKeepAliveConnectionIsClosed) {
  TestConfig config;
  config.server_extra = "  request_timeout: 1s\n  keep_alive_timeout: 1s\n";
  TestServer server(config);
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_of(server.base_url())));
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  socket.sendBytes(request.data(), static_cast<int>(request.size()));
  socket.setReceiveTimeout(Poco::Timespan(15, 0));
  std::string received;
  char buffer[1024];
  const auto start = std::chrono::steady_clock::now();
  for (int n; (n = socket.receiveBytes(buffer, sizeof buffer)) > 0;) received.append(buffer, n);
  EXPECT_NE(received.find("200 OK"), std::string::npos);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(Limits, OversizedHeadersAreRefusedAndTheServerKeepsServing) {
  TestServer server;
  HttpClient c = server.client();
  auto long_value = c.get("/healthz", {{"X-Big", std::string(10'000, 'a')}});
  EXPECT_EQ(long_value.status, 400);
  std::map<std::string, std::string> many;
  for (int i = 0; i < 150; ++i) many["X-H" + std::to_string(i)] = "v";
  EXPECT_EQ(c.get("/healthz", many).status, 400);
  auto long_uri = c.get("/healthz?" + std::string(20'000, 'q'));
  EXPECT_EQ(long_uri.status, 400);
  EXPECT_EQ(c.get("/healthz").status, 200);
  auto started = c.post_json("/v1/magic-links", "{\"identifier\":\"fine@example.com\"}");
  EXPECT_EQ(started.status, 202);
  EXPECT_FALSE(field(started.body, "flow_id").empty());
}

// Sends @p bytes on one connection and returns everything the server writes back until it
// closes the connection or stays silent for @p quiet.
std::string exchange_raw(const std::string& base_url, const std::string& bytes,
                         std::chrono::milliseconds quiet = 700ms) {
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_of(base_url)));
  socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string received;
  char buffer[4096];
  while (socket.poll(Poco::Timespan(quiet.count() * 1000), Poco::Net::Socket::SELECT_READ)) {
    int n = 0;
    try {
      n = socket.receiveBytes(buffer, sizeof buffer);
    } catch (const Poco::Exception&) {
      break;
    }
    if (n <= 0) break;
    received.append(buffer, static_cast<std::size_t>(n));
  }
  return received;
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Http, StatusLinesCarryTheirOwnReasonPhrase) {
  TestServer server;
  EXPECT_EQ(exchange_raw(server.base_url(),
                         "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .rfind("HTTP/1.1 200 OK\r\n", 0),
            0u);
  const std::string body = "{\"identifier\":\"reason@example.com\"}";
  EXPECT_EQ(exchange_raw(server.base_url(),
                         "POST /v1/magic-links HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         "Content-Type: application/json\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" + body)
                .rfind("HTTP/1.1 202 Accepted\r\n", 0),
            0u);
  for (const auto& [request, line] : std::vector<std::pair<std::string, std::string>>{
           {"GET /nothing-here HTTP/1.1", "HTTP/1.1 404 Not Found\r\n"},
           {"DELETE /healthz HTTP/1.1", "HTTP/1.1 405 Method Not Allowed\r\n"},
           {"GET /v1/session HTTP/1.1", "HTTP/1.1 401 Unauthorized\r\n"}}) {
    EXPECT_EQ(exchange_raw(server.base_url(), request + "\r\nHost: x\r\nConnection: close\r\n\r\n")
                  .rfind(line, 0),
              0u)
        << request;
  }
  auto too_large = exchange_raw(server.base_url(),
                                "POST /v1/magic-links HTTP/1.1\r\nHost: x\r\n"
                                "Content-Type: application/json\r\nContent-Length: 999999\r\n\r\n");
  EXPECT_EQ(too_large.rfind("HTTP/1.1 413 Content Too Large\r\n", 0), 0u) << too_large;
}

TEST(Http, ABodyTheRouteDoesNotReadIsNeverTakenForTheNextRequest) {
  TestServer server;
  const std::string smuggled = "GET /this-is-smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  // Every route that does not read a body: a refused method, an unknown path, the Origin
  // refusal, a GET with a body, a JSON logout.
  for (const std::string head : {
           "POST /healthz HTTP/1.1\r\nHost: x\r\n",
           "POST /nothing-here HTTP/1.1\r\nHost: x\r\n",
           "POST /v1/magic-links HTTP/1.1\r\nHost: x\r\nOrigin: https://evil.example\r\n"
           "Content-Type: application/json\r\n",
           "GET /healthz HTTP/1.1\r\nHost: x\r\n",
           "POST /v1/session/logout HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n",
       }) {
    auto answer = exchange_raw(
        server.base_url(),
        head + "Content-Length: " + std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled);
    EXPECT_EQ(count_of(answer, "HTTP/1.1 "), 1u) << head << answer;
    if (head.find("nothing-here") == std::string::npos) {
      EXPECT_EQ(answer.find("404 Not Found"), std::string::npos) << head << answer;
    }
  }
  EXPECT_EQ(server.runtime().metrics().value("linkgate_http_requests_total",
                                             {{"route", "other"}, {"status", "404"}}),
            1)
      << "only the one honest request for /nothing-here reached the routes as a 404";
}

TEST(Http, FramingAProxyCouldReadDifferentlyIsRefusedAndTheConnectionClosed) {
  TestServer server;
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
  const std::pair<std::string, std::string> probes[] = {
      {"POST /v1/magic-links HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 400 Bad Request\r\n"},
      {"POST /v1/magic-links HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: "
       "36\r\n\r\n",
       "HTTP/1.1 400 Bad Request\r\n"},
      {"POST /v1/magic-links HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 411 Length Required\r\n"},
      {"POST /v1/magic-links HTTP/1.1\r\nHost: x\r\nX-Folded: a\r\n Content-Length: 36\r\n\r\n",
       "HTTP/1.1 400 Bad Request\r\n"},
      {"POST /v1/magic-links HTTP/1.1\nHost: x\nContent-Length: 0\n\n",
       "HTTP/1.1 400 Bad Request\r\n"},
      {"POST /v1/magic-links HTTP/1.1\r\nHost: x\r\nContent-Length : 36\r\n\r\n",
       "HTTP/1.1 400 Bad Request\r\n"},
      {"GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
  };
  for (const auto& [probe, status_line] : probes) {
    const auto answer = exchange_raw(server.base_url(), probe + smuggled, 2000ms);
    EXPECT_EQ(answer.rfind(status_line, 0), 0u) << probe << "\n" << answer;
    EXPECT_EQ(count_of("\n" + answer, "\nHTTP/1.1 "), 1u) << probe << "\n" << answer;
    EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos) << probe;
  }
  EXPECT_EQ(server.runtime().metrics().value("linkgate_http_requests_total",
                                             {{"route", "other"}, {"status", "404"}}),
            0)
      << "no smuggled request reached the routes";
}

TEST(Http, PipelinedRequestsAreAnsweredInOrderAndHeadHasNoBody) {
  TestServer server;
  const std::string pipelined =
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /nothing-here HTTP/1.1\r\nHost: x\r\n\r\n"
      "HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
      "GET /never HTTP/1.1\r\nHost: x\r\n\r\n";
  const auto answer = exchange_raw(server.base_url(), pipelined, 2000ms);
  const auto ok = answer.find("HTTP/1.1 200 OK\r\n");
  const auto missing = answer.find("HTTP/1.1 404 Not Found\r\n");
  const auto head = answer.find("HTTP/1.1 200 OK\r\n", missing);
  const auto refused = answer.find("HTTP/1.1 405 Method Not Allowed\r\n");
  ASSERT_NE(refused, std::string::npos) << answer;
  EXPECT_TRUE(ok < missing && missing < head && head < refused) << answer;
  EXPECT_EQ(count_of(answer, "HTTP/1.1 "), 4u) << "nothing after Connection: close\n" << answer;
  // HEAD: the length of what GET would send, and no body before the next status line.
  const auto head_block = answer.substr(head, refused - head);
  EXPECT_NE(head_block.find("Content-Length: "), std::string::npos);
  EXPECT_EQ(head_block.substr(head_block.size() - 4), "\r\n\r\n") << head_block;
}

TEST(Http, ExpectContinueIsAnsweredBeforeTheBodyIsSent) {
  TestServer server;
  Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", port_of(server.base_url())));
  const std::string body = "{\"identifier\":\"continue@example.com\"}";
  const std::string head =
      "POST /v1/magic-links HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  socket.sendBytes(head.data(), static_cast<int>(head.size()));
  char buffer[4096];
  socket.setReceiveTimeout(Poco::Timespan(5, 0));
  const int n = socket.receiveBytes(buffer, sizeof buffer);
  EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(std::max(n, 0))),
            "HTTP/1.1 100 Continue\r\n\r\n");
  socket.sendBytes(body.data(), static_cast<int>(body.size()));
  const int m = socket.receiveBytes(buffer, sizeof buffer);
  EXPECT_EQ(std::string(buffer, static_cast<std::size_t>(std::max(m, 0))).rfind("HTTP/1.1 202", 0),
            0u);
}

}  // namespace
}  // namespace linkgate::testing
