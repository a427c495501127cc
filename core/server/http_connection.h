#pragma once
// One HTTP/1.1 connection as a state machine over bytes, with no socket and no thread: the
// front end feeds it what arrives, takes complete requests from it for the workers, hands it
// their answers, and writes out what it has to send. Everything about framing, pipelining,
// 100-continue and deadlines lives here, so it is tested (and fuzzed) without a network.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace linkgate::server {

struct ConnectionLimits {
  std::size_t max_head_bytes = 64 * 1024;  ///< request line and headers
  std::size_t max_body_bytes = 16 * 1024;
};

struct ConnectionTimeouts {
  using ms = std::chrono::milliseconds;
  ms idle{5'000};    ///< waiting for the first byte of a request (keep_alive_timeout)
  ms head{10'000};   ///< from the first byte of a request to the end of its head
  ms body{10'000};   ///< from the end of the head to the end of the body (request_timeout)
  ms send{10'000};   ///< for the client to take an answer once it is ready
  ms linger{1'000};  ///< after the last answer, reading what the client still sends
};

class HttpConnection {
 public:
  using Clock = std::chrono::steady_clock;

  enum class Phase {
    idle,       ///< between requests: nothing of the next one yet
    head,       ///< reading a request head
    body,       ///< reading a body whose length the head gave
    answering,  ///< a complete request is with a worker; nothing more is parsed
    lingering,  ///< the last answer is sent; what still arrives is read and dropped
    closed,     ///< close the socket
  };

  HttpConnection(ConnectionLimits limits, ConnectionTimeouts timeouts, std::string peer,
                 Clock::time_point now);

  /// Bytes read from the socket. Parses as far as it can.
  void on_bytes(std::string_view bytes, Clock::time_point now);
  /// The client will send nothing more (end of stream). A request already complete is still
  /// answered; a partial one is dropped.
  void on_peer_closed(Clock::time_point now);

  /// The complete request to hand to a worker, once per request (phase answering).
  std::optional<http::Request> take_request();
  /// A complete request waits to be taken.
  [[nodiscard]] bool has_request() const {
    return phase_ == Phase::answering && !request_taken_ && request_.has_value();
  }
  /// The worker's answer to the request last taken. Serialised into the output; the next
  /// pipelined request is parsed once the output has gone.
  void on_answer(const http::Response& answer, Clock::time_point now);

  /// What to write to the socket now.
  [[nodiscard]] std::string_view output() const;
  /// @p n bytes of output() were written.
  void on_sent(std::size_t n, Clock::time_point now);

  /// Whether to read from the socket: false while a request is answered and enough of the next
  /// ones is already buffered, so a client cannot make the buffer grow without bound.
  [[nodiscard]] bool wants_read() const;
  /// When the connection should be closed if nothing happens before; time_point::max() while a
  /// worker has its request.
  [[nodiscard]] Clock::time_point deadline() const;
  /// The deadline passed, or the socket failed: the connection is closed (nothing is sent).
  void on_deadline();
  /// The server is stopping: the request being answered is the last (`Connection: close`).
  void finish_after_answer() { keep_alive_ = false; }

  [[nodiscard]] Phase phase() const { return phase_; }
  /// Bytes of memory held for this connection's buffers (their capacity, not just their use).
  [[nodiscard]] std::size_t buffered() const { return input_.capacity() + output_.capacity(); }
  [[nodiscard]] std::size_t requests_taken() const { return requests_; }

 private:
  void parse(Clock::time_point now);
  void enter(Phase phase, Clock::time_point now);
  void refuse(const http::Response& answer, Clock::time_point now);
  void queue_output(const std::string& bytes, Clock::time_point now);
  void discard_input();
  [[nodiscard]] std::string_view unread() const;
  void consume(std::size_t n);

  const ConnectionLimits limits_;
  const ConnectionTimeouts timeouts_;
  const std::string peer_;
  Phase phase_ = Phase::idle;
  Clock::time_point phase_deadline_;
  Clock::time_point output_deadline_;

  std::string input_;
  std::size_t input_at_ = 0;      // input_ before this was consumed
  std::size_t head_scanned_ = 0;  // unread() before this holds no end of head
  std::string output_;
  std::size_t output_at_ = 0;
  bool peer_closed_ = false;

  std::optional<http::Request> request_;  // complete, until taken
  bool request_taken_ = false;
  bool head_request_ = false;
  bool keep_alive_ = true;
  bool continue_sent_ = false;
  bool expects_continue_ = false;
  std::uint64_t body_length_ = 0;
  std::size_t requests_ = 0;
};

}  // namespace linkgate::server
