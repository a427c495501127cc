// Request heads read strictly: every framing ambiguity a proxy could read differently is refused.
#include "server/request_head.h"

#include <gtest/gtest.h>

namespace linkgate::server {
namespace {

int refusal_of(const std::string& head) {
  auto parsed = parse_request_head(head);
  if (auto* refused = std::get_if<HeadRefusal>(&parsed)) return refused->status;
  return 0;
}

RequestHead accepted(const std::string& head) {
  auto parsed = parse_request_head(head);
  EXPECT_TRUE(std::holds_alternative<RequestHead>(parsed))
      << head << " refused: " << std::get<HeadRefusal>(parsed).reason;
  return std::holds_alternative<RequestHead>(parsed) ? std::get<RequestHead>(parsed)
                                                     : RequestHead{};
}

TEST(RequestHead, FindsTheEndOfAHeadAcrossScans) {
  const std::string head = "GET / HTTP/1.1\r\nHost: x\r\n\r\nnext";
  std::size_t scanned = 0;
  for (std::size_t size = 1; size < head.size(); ++size) {
    auto end = find_head_end(std::string_view(head).substr(0, size), scanned);
    if (size < head.size() - 4) {
      ASSERT_EQ(end.state, HeadEnd::State::incomplete) << size;
      scanned = end.scanned;
    } else {
      ASSERT_EQ(end.state, HeadEnd::State::complete) << size;
      EXPECT_EQ(end.end, head.size() - 4);
      break;
    }
  }
}

TEST(RequestHead, BareLineFeedsAndCarriageReturnsAreMalformed) {
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\nHost: x\r\n\r\n", 0).state, HeadEnd::State::malformed);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\r\nHost: x\n\n", 0).state, HeadEnd::State::malformed);
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\rHost: x\r\n\r\n", 0).state, HeadEnd::State::malformed);
  // A CR at the end of one read and something else at the start of the next.
  EXPECT_EQ(find_head_end("GET / HTTP/1.1\rX", 15).state, HeadEnd::State::malformed);
}

TEST(RequestHead, AnOrdinaryHeadKeepsItsHeadersInOrder) {
  auto head = accepted(
      "POST /v1/magic-links?x=1 HTTP/1.1\r\nHost: example\r\nX-A: 1\r\nX-A: 2\r\n"
      "Content-Length: 12\r\n\r\n");
  EXPECT_EQ(head.request.method, "POST");
  EXPECT_EQ(head.request.target, "/v1/magic-links?x=1");
  EXPECT_EQ(head.content_length, 12u);
  EXPECT_TRUE(head.keep_alive);
  EXPECT_FALSE(head.expects_continue);
  EXPECT_EQ(head.request.headers_named("X-A"), (std::vector<std::string>{"1", "2"}));
}

TEST(RequestHead, ConnectionCloseAndHttp10EndTheConnection) {
  EXPECT_FALSE(
      accepted("GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, close\r\n\r\n").keep_alive);
  EXPECT_FALSE(accepted("GET / HTTP/1.0\r\n\r\n").keep_alive);
}

TEST(RequestHead, ExpectContinueIsUnderstoodAndOtherExpectationsAreNot) {
  EXPECT_TRUE(accepted("POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n"
                       "Content-Length: 5\r\n\r\n")
                  .expects_continue);
  EXPECT_EQ(refusal_of("POST / HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n"), 417);
}

TEST(RequestHead, EveryAmbiguousFramingIsRefused) {
  const std::string start = "POST / HTTP/1.1\r\nHost: x\r\n";
  EXPECT_EQ(refusal_of(start + "Content-Length: 5\r\nContent-Length: 5\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of(start + "Content-Length: 5\r\nContent-Length: 6\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of(start + "Content-Length: 5, 5\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of(start + "Content-Length: +5\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of(start + "Content-Length: 0x10\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of(start + "Content-Length: 99999999999999999999\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of(start + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of(start + "Transfer-Encoding: chunked\r\n\r\n"), 411);
  EXPECT_EQ(refusal_of(start + "Transfer-Encoding: gzip, chunked\r\n\r\n"), 411);
  EXPECT_EQ(refusal_of(start + "Transfer-Encoding: gzip\r\n\r\n"), 501);
  EXPECT_EQ(refusal_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of(start + "Content-Length : 5\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of(start + " Content-Length: 5\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of(start + "X-Folded: a\r\n b\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of(start + "X-Folded: a\r\n\tb\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of(start + std::string("X-Nul: a\0b\r\n\r\n", 14)), 400);
  EXPECT_EQ(refusal_of(start + "X-Ctl: a\x01"
                               "b\r\n\r\n"),
            400);
}

TEST(RequestHead, TheRequestLineAndHostAreChecked) {
  EXPECT_EQ(refusal_of("GET /  HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of("GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of("GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of("G(T / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
  EXPECT_EQ(refusal_of("GET / FTP/1.1\r\nHost: x\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of("GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n"), 400);
  EXPECT_EQ(refusal_of("GET / HTTP/1.0\r\n\r\n"), 0);
}

TEST(RequestHead, PocosLimitsStillApply) {
  EXPECT_EQ(
      refusal_of("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n"),
      400);
  std::string many = "GET / HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 150; ++i) many += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(refusal_of(many + "\r\n"), 400);
}

}  // namespace
}  // namespace linkgate::server
