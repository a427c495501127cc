// One connection's state machine, fed bytes by hand: framing, pipelining, 100-continue, limits
// and deadlines, with no socket.
#include "server/http_connection.h"

#include <gtest/gtest.h>

#include "server/response_bytes.h"

namespace linkgate::server {
namespace {

using namespace std::chrono_literals;
using Clock = HttpConnection::Clock;
using Phase = HttpConnection::Phase;

const Clock::time_point t0{};

ConnectionTimeouts timeouts() {
  ConnectionTimeouts t;
  t.idle = 5s;
  t.head = 7s;
  t.body = 11s;
  t.send = 13s;
  t.linger = 1s;
  return t;
}

HttpConnection connection(std::size_t max_body = 100, std::size_t max_head = 1000) {
  return HttpConnection(ConnectionLimits{max_head, max_body}, timeouts(), "192.0.2.7", t0);
}

http::Response ok(std::string body = "ok") {
  http::Response r;
  r.body = std::move(body);
  return r;
}

// Takes everything there is to send.
std::string drain(HttpConnection& c, Clock::time_point now = t0) {
  std::string out(c.output());
  c.on_sent(out.size(), now);
  return out;
}

TEST(HttpConnection, ARequestIsCompleteOnlyWithItsWholeBody) {
  auto c = connection();
  c.on_bytes("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nab", t0);
  EXPECT_EQ(c.phase(), Phase::body);
  EXPECT_FALSE(c.take_request());
  c.on_bytes("cde", t0);
  auto request = c.take_request();
  ASSERT_TRUE(request);
  EXPECT_EQ(request->body, "abcde");
  EXPECT_EQ(request->peer, "192.0.2.7");
  EXPECT_FALSE(c.take_request()) << "handed over once";
  c.on_answer(ok(), t0);
  const auto out = drain(c);
  EXPECT_EQ(out.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << out;
  EXPECT_NE(out.find("Content-Length: 2\r\n"), std::string::npos);
  EXPECT_EQ(out.find("Connection: close"), std::string::npos);
  EXPECT_EQ(c.phase(), Phase::idle);
}

TEST(HttpConnection, EverySplitOfTheBytesGivesTheSameRequests) {
  const std::string bytes =
      "\r\nPOST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nxyz"
      "GET /b?q=1 HTTP/1.1\r\nHost: h\r\n\r\n";
  for (std::size_t split = 1; split < bytes.size(); ++split) {
    auto c = connection();
    std::vector<std::string> seen;
    for (std::size_t at = 0; at < bytes.size(); at += split) {
      c.on_bytes(std::string_view(bytes).substr(at, split), t0);
      while (auto r = c.take_request()) {
        seen.push_back(r->method + " " + r->target + " " + r->body);
        c.on_answer(ok(), t0);
        drain(c);
      }
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"POST /a xyz", "GET /b?q=1 "})) << split;
  }
}

TEST(HttpConnection, PipelinedRequestsAreAnsweredInOrderOneAtATime) {
  auto c = connection();
  c.on_bytes(
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"
      "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n",
      t0);
  auto first = c.take_request();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->target, "/1");
  EXPECT_FALSE(c.take_request()) << "the second waits for the first answer";
  c.on_answer(ok("one"), t0);
  EXPECT_FALSE(c.take_request()) << "and for that answer to be sent";
  EXPECT_NE(drain(c).find("one"), std::string::npos);
  auto second = c.take_request();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->target, "/2");
  c.on_answer(ok("two"), t0);
  EXPECT_NE(drain(c).find("two"), std::string::npos);
  auto third = c.take_request();
  ASSERT_TRUE(third);
  EXPECT_EQ(third->target, "/3");
  EXPECT_EQ(c.requests_taken(), 3u);
}

TEST(HttpConnection, ABodyIsNeverReadAsTheNextRequest) {
  auto c = connection();
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n";
  c.on_bytes("POST /healthz HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                 std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled,
             t0);
  auto request = c.take_request();
  ASSERT_TRUE(request);
  EXPECT_EQ(request->body, smuggled);
  c.on_answer(ok(), t0);
  drain(c);
  EXPECT_FALSE(c.take_request());
  EXPECT_EQ(c.phase(), Phase::idle);
}

TEST(HttpConnection, HeadAnswersCarryTheLengthButNoBody) {
  auto c = connection();
  c.on_bytes("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n", t0);
  ASSERT_TRUE(c.take_request());
  c.on_answer(ok("twelve bytes"), t0);
  const auto out = drain(c);
  EXPECT_NE(out.find("Content-Length: 12\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 4), "\r\n\r\n") << out;
}

TEST(HttpConnection, ConnectionCloseSendsTheAnswerThenLingersAndCloses) {
  auto c = connection();
  c.on_bytes("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\n", t0);
  ASSERT_TRUE(c.take_request());
  c.on_answer(ok(), t0);
  EXPECT_EQ(c.phase(), Phase::lingering);
  EXPECT_NE(drain(c, t0 + 1s).find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(c.deadline(), t0 + 1s + timeouts().linger);
  c.on_bytes("GET /also-ignored HTTP/1.1\r\nHost: h\r\n\r\n", t0 + 1s);
  EXPECT_FALSE(c.take_request());
  c.on_peer_closed(t0 + 1s);
  EXPECT_EQ(c.phase(), Phase::closed);
}

TEST(HttpConnection, AnAnswerThatAsksToCloseEndsTheConnection) {
  auto c = connection();
  c.on_bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n", t0);
  ASSERT_TRUE(c.take_request());
  auto answer = ok();
  answer.close = true;
  c.on_answer(answer, t0);
  EXPECT_NE(drain(c).find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(c.phase(), Phase::lingering);
}

TEST(HttpConnection, ExpectContinueGetsAnInterimAnswerBeforeTheBody) {
  auto c = connection();
  c.on_bytes("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n", t0);
  EXPECT_EQ(drain(c), "HTTP/1.1 100 Continue\r\n\r\n");
  c.on_bytes("body", t0);
  auto request = c.take_request();
  ASSERT_TRUE(request);
  EXPECT_EQ(request->body, "body");
}

TEST(HttpConnection, ExpectContinueWithTooLargeABodyIsRefusedWithoutTheInterimAnswer) {
  auto c = connection(100);
  c.on_bytes("POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n",
             t0);
  const auto out = drain(c);
  EXPECT_EQ(out.rfind("HTTP/1.1 413 Content Too Large\r\n", 0), 0u) << out;
  EXPECT_EQ(out.find("100 Continue"), std::string::npos);
  EXPECT_NE(out.find("payload_too_large"), std::string::npos);
  EXPECT_EQ(c.phase(), Phase::lingering);
}

TEST(HttpConnection, RefusalsAnswerOnceAndCloseTheConnection) {
  const std::pair<std::string, std::string> cases[] = {
      {"GET / HTTP/1.1\nHost: h\n\n", "HTTP/1.1 400 Bad Request\r\n"},
      {"GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n", "HTTP/1.1 400 Bad Request\r\n"},
      {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       "HTTP/1.1 411 Length Required\r\n"},
      {"GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(2000, 'a') + "\r\n\r\n",
       "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
      {"GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(2000, 'a'),
       "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
      {"GET / HTTP/3.0\r\nHost: h\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported\r\n"},
  };
  for (const auto& [bytes, status_line] : cases) {
    auto c = connection();
    c.on_bytes(bytes + "GET /after HTTP/1.1\r\nHost: h\r\n\r\n", t0);
    EXPECT_FALSE(c.take_request()) << bytes;
    const auto out = drain(c);
    EXPECT_EQ(out.rfind(status_line, 0), 0u) << bytes << "\n" << out;
    EXPECT_NE(out.find("Connection: close\r\n"), std::string::npos);
    EXPECT_EQ(c.phase(), Phase::lingering);
    EXPECT_FALSE(c.take_request());
  }
}

TEST(HttpConnection, EachPhaseHasItsOwnDeadline) {
  auto c = connection();
  EXPECT_EQ(c.deadline(), t0 + timeouts().idle);
  c.on_bytes("GET", t0 + 1s);
  EXPECT_EQ(c.deadline(), t0 + 1s + timeouts().head);
  c.on_bytes(" / HTTP/1.1\r\nHost: h\r\n", t0 + 3s);
  EXPECT_EQ(c.deadline(), t0 + 1s + timeouts().head) << "dripping does not move it";
  c.on_bytes("Content-Length: 2\r\n\r\n", t0 + 4s);
  EXPECT_EQ(c.deadline(), t0 + 4s + timeouts().body);
  c.on_bytes("x", t0 + 5s);
  EXPECT_EQ(c.deadline(), t0 + 4s + timeouts().body);
  c.on_bytes("y", t0 + 6s);
  EXPECT_EQ(c.deadline(), Clock::time_point::max()) << "a worker has it";
  ASSERT_TRUE(c.take_request());
  c.on_answer(ok(), t0 + 7s);
  EXPECT_EQ(c.deadline(), t0 + 7s + timeouts().idle);
  c.on_sent(10, t0 + 8s);
  EXPECT_EQ(c.deadline(), t0 + 7s + timeouts().idle);
}

TEST(HttpConnection, AnAnswerTheClientWillNotTakeHasADeadline) {
  ConnectionTimeouts t = timeouts();
  t.send = 2s;
  HttpConnection c(ConnectionLimits{}, t, "p", t0);
  c.on_bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n", t0);
  ASSERT_TRUE(c.take_request());
  c.on_answer(ok(std::string(1000, 'z')), t0);
  EXPECT_EQ(c.deadline(), t0 + 2s);
}

TEST(HttpConnection, ReadingStopsWhileAWorkerHasTheRequestAndMuchIsBuffered) {
  auto c = connection(100, 1000);
  c.on_bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n", t0);
  ASSERT_TRUE(c.take_request());
  EXPECT_TRUE(c.wants_read());
  c.on_bytes(std::string(1100, 'G'), t0);
  EXPECT_FALSE(c.wants_read());
}

TEST(HttpConnection, AClientThatGoesAwayMidRequestIsDroppedAndACompleteOneStillAnswered) {
  auto partial = connection();
  partial.on_bytes("GET / HTTP/1.1\r\nHo", t0);
  partial.on_peer_closed(t0);
  EXPECT_EQ(partial.phase(), Phase::closed);

  auto complete = connection();
  complete.on_bytes("GET / HTTP/1.1\r\nHost: h\r\n\r\n", t0);
  complete.on_peer_closed(t0);
  ASSERT_TRUE(complete.take_request());
  complete.on_answer(ok(), t0);
  EXPECT_NE(drain(complete).find("Connection: close"), std::string::npos);
  EXPECT_EQ(complete.phase(), Phase::closed);
}

TEST(HttpConnection, AnIdleConnectionHoldsNoLargeBuffer) {
  auto c = connection(100'000, 100'000);
  c.on_bytes(
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 90000\r\n\r\n" + std::string(90'000, 'b'), t0);
  ASSERT_TRUE(c.take_request());
  c.on_answer(ok(std::string(200'000, 'x')), t0);
  EXPECT_GT(c.buffered(), 200'000u);
  drain(c);
  EXPECT_LE(c.buffered(), 2 * 4096u) << "what a large request and answer needed is given back";
}

TEST(ResponseBytes, HeaderValuesCannotStartAHeaderOfTheirOwn) {
  http::Response r = ok();
  r.set("Location", "/x\r\nSet-Cookie: evil=1");
  r.set("X-Fine", "yes");
  r.set("Content-Length", "999");
  const auto out = response_bytes(r, false, true);
  EXPECT_EQ(out.find("evil"), std::string::npos) << out;
  EXPECT_NE(out.find("X-Fine: yes\r\n"), std::string::npos);
  EXPECT_EQ(out.find("999"), std::string::npos);
  EXPECT_NE(out.find("Content-Length: 2\r\n"), std::string::npos);
  EXPECT_NE(out.find("\r\nDate: "), std::string::npos);
}

}  // namespace
}  // namespace linkgate::server
