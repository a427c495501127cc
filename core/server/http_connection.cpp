#include "server/http_connection.h"

#include <variant>

#include "server/request_head.h"
#include "server/response_bytes.h"

namespace linkgate::server {

HttpConnection::HttpConnection(ConnectionLimits limits, ConnectionTimeouts timeouts,
                               std::string peer, Clock::time_point now)
    : limits_(limits), timeouts_(timeouts), peer_(std::move(peer)) {
  enter(Phase::idle, now);
}

void HttpConnection::enter(Phase phase, Clock::time_point now) {
  phase_ = phase;
  switch (phase) {
    case Phase::idle:
      phase_deadline_ = now + timeouts_.idle;
      break;
    case Phase::head:
      phase_deadline_ = now + timeouts_.head;
      head_scanned_ = 0;
      break;
    case Phase::body:
      phase_deadline_ = now + timeouts_.body;
      break;
    case Phase::answering:
      phase_deadline_ = Clock::time_point::max();
      break;
    case Phase::lingering:
      // While the last answer is still going out, the send deadline governs; on_sent starts
      // the lingering time once it has gone.
      phase_deadline_ = output().empty() ? now + timeouts_.linger : Clock::time_point::max();
      break;
    case Phase::closed:
      phase_deadline_ = now;
      break;
  }
}

HttpConnection::Clock::time_point HttpConnection::deadline() const {
  if (output_at_ < output_.size() && output_deadline_ < phase_deadline_) return output_deadline_;
  return phase_deadline_;
}

std::string_view HttpConnection::unread() const {
  return std::string_view(input_).substr(input_at_);
}

void HttpConnection::consume(std::size_t n) {
  input_at_ += n;
  if (input_at_ >= input_.size()) {
    discard_input();
  } else if (input_at_ > 4096 && input_at_ > input_.size() / 2) {
    input_.erase(0, input_at_);
    input_at_ = 0;
  }
}

namespace {

// A buffer that grew for one large request is given back; a small one is kept for the next
// request instead of being freed and allocated again on every keep-alive round trip.
void release_if_large(std::string& buffer) {
  buffer.clear();
  if (buffer.capacity() > 4096) buffer.shrink_to_fit();
}

}  // namespace

void HttpConnection::discard_input() {
  release_if_large(input_);
  input_at_ = 0;
}

void HttpConnection::queue_output(const std::string& bytes, Clock::time_point now) {
  if (output_at_ >= output_.size()) {
    output_.clear();
    output_at_ = 0;
    output_deadline_ = now + timeouts_.send;
  }
  output_ += bytes;
}

std::string_view HttpConnection::output() const {
  return std::string_view(output_).substr(output_at_);
}

void HttpConnection::on_bytes(std::string_view bytes, Clock::time_point now) {
  if (phase_ == Phase::closed || bytes.empty()) return;
  if (phase_ == Phase::lingering) return;  // after the last answer nothing is read as a request
  input_.append(bytes);
  parse(now);
}

void HttpConnection::refuse(const http::Response& answer, Clock::time_point now) {
  keep_alive_ = false;
  request_.reset();
  discard_input();
  queue_output(response_bytes(answer, false, false), now);
  enter(Phase::lingering, now);
}

void HttpConnection::parse(Clock::time_point now) {
  for (;;) {
    switch (phase_) {
      case Phase::idle: {
        // The previous answer goes out before the next request is looked at, so a client that
        // pipelines and never reads cannot pile answers up here.
        if (!output().empty()) return;
        auto rest = unread();
        std::size_t blank = 0;  // RFC 9112 §2.2: empty lines before a request are ignored
        while (rest.substr(blank, 2) == "\r\n") blank += 2;
        consume(blank);
        rest = unread();
        if (rest.empty() || rest == "\r") return;
        enter(Phase::head, now);
        break;
      }
      case Phase::head: {
        const auto rest = unread();
        const auto end = find_head_end(rest, head_scanned_);
        if (end.state == HeadEnd::State::malformed) {
          return refuse(refusal(400, "Header lines end with CRLF, and only there."), now);
        }
        if (end.state == HeadEnd::State::incomplete) {
          if (rest.size() > limits_.max_head_bytes) {
            return refuse(refusal(431, "The request head is too large."), now);
          }
          head_scanned_ = end.scanned;
          return;
        }
        if (end.end > limits_.max_head_bytes) {
          return refuse(refusal(431, "The request head is too large."), now);
        }
        auto parsed = parse_request_head(rest.substr(0, end.end));
        if (auto* refused = std::get_if<HeadRefusal>(&parsed)) {
          return refuse(refusal(refused->status, refused->reason), now);
        }
        auto& head = std::get<RequestHead>(parsed);
        consume(end.end);
        if (head.content_length > limits_.max_body_bytes) {
          return refuse(body_too_large(limits_.max_body_bytes), now);
        }
        request_ = std::move(head.request);
        request_->peer = peer_;
        head_request_ = request_->method == "HEAD";
        keep_alive_ = head.keep_alive;
        expects_continue_ = head.expects_continue;
        continue_sent_ = false;
        body_length_ = head.content_length;
        enter(Phase::body, now);
        break;
      }
      case Phase::body: {
        const auto rest = unread();
        if (rest.size() < body_length_) {
          if (expects_continue_ && !continue_sent_) {
            continue_sent_ = true;
            queue_output("HTTP/1.1 100 Continue\r\n\r\n", now);
          }
          return;
        }
        request_->body.assign(rest.substr(0, static_cast<std::size_t>(body_length_)));
        consume(static_cast<std::size_t>(body_length_));
        ++requests_;
        request_taken_ = false;
        enter(Phase::answering, now);
        return;
      }
      case Phase::answering:
      case Phase::lingering:
      case Phase::closed:
        return;
    }
  }
}

std::optional<http::Request> HttpConnection::take_request() {
  if (phase_ != Phase::answering || request_taken_ || !request_) return std::nullopt;
  request_taken_ = true;
  auto out = std::move(*request_);
  request_.reset();
  return out;
}

void HttpConnection::on_answer(const http::Response& answer, Clock::time_point now) {
  if (phase_ != Phase::answering) return;
  const bool keep = keep_alive_ && !answer.close && !peer_closed_;
  queue_output(response_bytes(answer, head_request_, keep), now);
  if (!keep) {
    discard_input();
    enter(Phase::lingering, now);
    return;
  }
  enter(Phase::idle, now);
}

void HttpConnection::on_sent(std::size_t n, Clock::time_point now) {
  output_at_ += n;
  if (output_at_ < output_.size()) return;
  release_if_large(output_);
  output_at_ = 0;
  if (phase_ == Phase::lingering) {
    if (peer_closed_) return enter(Phase::closed, now);
    phase_deadline_ = now + timeouts_.linger;
  } else if (phase_ == Phase::idle) {
    parse(now);
    if (phase_ == Phase::idle && peer_closed_) enter(Phase::closed, now);
  }
}

void HttpConnection::on_peer_closed(Clock::time_point now) {
  peer_closed_ = true;
  switch (phase_) {
    case Phase::idle:
    case Phase::lingering:
      if (output().empty()) enter(Phase::closed, now);
      break;
    case Phase::head:
    case Phase::body:
      enter(Phase::closed, now);
      break;
    case Phase::answering:
    case Phase::closed:
      break;
  }
}

void HttpConnection::on_deadline() {
  phase_ = Phase::closed;
}

bool HttpConnection::wants_read() const {
  if (peer_closed_) return false;
  switch (phase_) {
    case Phase::idle:
    case Phase::answering:
      return unread().size() < limits_.max_head_bytes + limits_.max_body_bytes;
    case Phase::head:
    case Phase::body:
    case Phase::lingering:
      return true;
    case Phase::closed:
      return false;
  }
  return false;
}

}  // namespace linkgate::server
