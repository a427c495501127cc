// The connection state machine under arbitrary byte streams in arbitrary splits, with answers
// and writes interleaved as a real loop would: it never crashes, never hands over a body over
// the limit, never buffers without bound, and takes no request once it has decided to close.
#include <cstdlib>
#include <string_view>

#include "server/http_connection.h"

namespace {

constexpr std::size_t kMaxHead = 512;
constexpr std::size_t kMaxBody = 256;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const unsigned char* data, std::size_t size) {
  using linkgate::server::HttpConnection;
  if (size < 2) return 0;
  const auto t0 = HttpConnection::Clock::time_point{};
  HttpConnection c({kMaxHead, kMaxBody}, {}, "192.0.2.1", t0);
  // The first bytes steer: how the stream is split, and how much of the output is taken.
  const std::size_t split = 1 + data[0] % 64;
  const std::size_t write_step = 1 + data[1] % 128;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 2, size - 2);
  bool closing = false;
  bool output_was_empty = true;
  for (std::size_t at = 0; at < bytes.size(); at += split) {
    if (c.wants_read()) c.on_bytes(bytes.substr(at, split), t0);
    if (c.buffered() > kMaxHead + kMaxBody + 2 * 64 + 4096) std::abort();
    while (auto request = c.take_request()) {
      if (closing || request->body.size() > kMaxBody) std::abort();
      linkgate::http::Response answer;
      answer.body = request->target;
      answer.close = request->body.size() % 7 == 3;
      c.on_answer(answer, t0);
    }
    const auto out = c.output();
    if (!out.empty()) {
      if (output_was_empty && out.rfind("HTTP/1.1 ", 0) != 0) std::abort();
      c.on_sent(std::min(out.size(), write_step), t0);
    }
    output_was_empty = c.output().empty();
    if (c.phase() == HttpConnection::Phase::lingering ||
        c.phase() == HttpConnection::Phase::closed) {
      closing = true;
    }
  }
  c.on_peer_closed(t0);
  while (!c.output().empty()) c.on_sent(c.output().size(), t0);
  return 0;
}
