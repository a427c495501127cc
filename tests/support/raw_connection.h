#pragma once
// A TCP connection as an attacker holds it: from a chosen loopback source address (so that
// thousands of them can come from many "clients"), raw bytes in and out, no HTTP library.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace linkgate::testing {

class RawConnection {
 public:
  /// Connects from @p source (any 127.x.y.z works on Linux) to 127.0.0.1:@p port. Throws
  /// std::runtime_error when the connection cannot be made.
  RawConnection(const std::string& source, int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        ::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
      const std::string why = std::strerror(errno);
      ::close(fd_);
      throw std::runtime_error("connect from " + source + ": " + why);
    }
  }
  ~RawConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawConnection(RawConnection&& other) noexcept
      : fd_(other.fd_), closed_(other.closed_), send_error_(other.send_error_) {
    other.fd_ = -1;
  }
  RawConnection& operator=(RawConnection&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  /// False when the server has closed or reset the connection, or a send timeout passed
  /// (then send_error() is EAGAIN).
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) {
        send_error_ = errno;
        return false;
      }
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }
  [[nodiscard]] int send_error() const { return send_error_; }

  /// How long one send may wait for the server to take bytes.
  void set_send_timeout(std::chrono::milliseconds wait) {
    timeval tv{static_cast<time_t>(wait.count() / 1000),
               static_cast<suseconds_t>((wait.count() % 1000) * 1000)};
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }

  /// Everything the server sends until it closes the connection or is silent for @p quiet.
  std::string receive(std::chrono::milliseconds quiet = std::chrono::milliseconds(700)) {
    std::string out;
    char buffer[4096];
    for (;;) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(quiet.count())) <= 0) break;
      const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      out.append(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }

  /// Whether the server ended the connection (end of stream or reset) within @p wait.
  bool closed_within(std::chrono::milliseconds wait) {
    receive(wait);
    return closed_;
  }
  [[nodiscard]] bool closed() const { return closed_; }

 private:
  int fd_ = -1;
  bool closed_ = false;
  int send_error_ = 0;
};

/// 127.0.@p block.@p host, for spreading connections over many source addresses.
inline std::string loopback(int block, int host) {
  return "127.0." + std::to_string(block) + "." + std::to_string(host);
}

/// This process's resident set in KiB (VmRSS).
inline long resident_kib() {
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

}  // namespace linkgate::testing
