#pragma once
// Non-blocking reads and writes on one accepted connection, plain TCP or TLS, as results rather
// than exceptions: the front end's loop never blocks and never unwinds on a client's behaviour.

#include <Poco/AutoPtr.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/StreamSocket.h>

#include <cstddef>

namespace linkgate::server {

class ServerTlsImpl;

struct Io {
  enum class Status { done, want_read, want_write, closed, failed };
  Status status = Status::done;
  std::size_t bytes = 0;  ///< with done
};

class Transport {
 public:
  /// Takes @p socket (just accepted), makes it non-blocking, and with @p tls prepares the
  /// server side of a TLS session whose handshake handshake() then drives. Throws
  /// Poco::Exception when the socket cannot be set up.
  Transport(Poco::Net::StreamSocket socket, Poco::Net::Context::Ptr tls);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// done when the connection can carry HTTP (at once for plain TCP).
  Io handshake();
  [[nodiscard]] bool handshaken() const { return handshaken_; }
  /// TLS: the session may hold decrypted bytes the socket no longer signals as readable.
  [[nodiscard]] bool may_hold_unsignalled_bytes() const { return static_cast<bool>(tls_); }
  Io read(char* buffer, std::size_t size);
  Io write(const char* buffer, std::size_t size);
  /// No more will be written: TCP FIN (or a TLS close_notify).
  void shutdown_send();

  /// The socket to poll (for TLS, the TCP socket under the session).
  [[nodiscard]] const Poco::Net::StreamSocket& socket() const { return socket_; }

 private:
  Poco::Net::StreamSocket socket_;
  Poco::AutoPtr<ServerTlsImpl> tls_;
  int fd_ = -1;
  bool handshaken_ = false;
};

}  // namespace linkgate::server
