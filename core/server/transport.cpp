#include "server/transport.h"

#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/SecureStreamSocketImpl.h>
#include <Poco/Net/StreamSocketImpl.h>
#include <sys/socket.h>

#include <cerrno>

namespace linkgate::server {

// Poco's server-side TLS socket, created over a connection accepted as plain TCP so that the TCP
// socket under it is non-blocking too: Poco's TLS calls ask the inner socket whether to wait,
// and an inner blocking socket would make a handshake wait inside the event loop.
class ServerTlsImpl final : public Poco::Net::SecureStreamSocketImpl {
 public:
  ServerTlsImpl(Poco::Net::StreamSocketImpl* tcp, Poco::Net::Context::Ptr context)
      : SecureStreamSocketImpl(tcp, std::move(context)) {
    acceptSSL();
  }

 private:
  ~ServerTlsImpl() override = default;
};

namespace {

Io from_tls(int rc) {
  if (rc > 0) return {Io::Status::done, static_cast<std::size_t>(rc)};
  if (rc == Poco::Net::SecureStreamSocket::ERR_SSL_WANT_READ) return {Io::Status::want_read, 0};
  if (rc == Poco::Net::SecureStreamSocket::ERR_SSL_WANT_WRITE) return {Io::Status::want_write, 0};
  return {Io::Status::closed, 0};
}

Io from_errno(long rc, bool reading) {
  if (rc > 0) return {Io::Status::done, static_cast<std::size_t>(rc)};
  if (rc == 0 && reading) return {Io::Status::closed, 0};
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
    return {reading ? Io::Status::want_read : Io::Status::want_write, 0};
  }
  return {Io::Status::failed, 0};
}

}  // namespace

Transport::Transport(Poco::Net::StreamSocket socket, Poco::Net::Context::Ptr tls)
    : socket_(std::move(socket)) {
  socket_.setBlocking(false);
  socket_.setNoDelay(true);
  fd_ = static_cast<int>(socket_.impl()->sockfd());
  if (tls) {
    tls_ = new ServerTlsImpl(static_cast<Poco::Net::StreamSocketImpl*>(socket_.impl()), tls);
  } else {
    handshaken_ = true;
  }
}

Transport::~Transport() {
  tls_.reset();  // the TLS session first: it writes close_notify through the TCP socket
}

Io Transport::handshake() {
  if (handshaken_) return {Io::Status::done, 0};
  try {
    const int rc = tls_->completeHandshake();
    if (rc == 1) {
      handshaken_ = true;
      return {Io::Status::done, 0};
    }
    return from_tls(rc);
  } catch (const Poco::Exception&) {
    return {Io::Status::failed, 0};
  }
}

Io Transport::read(char* buffer, std::size_t size) {
  if (!tls_) return from_errno(::recv(fd_, buffer, size, 0), true);
  try {
    return from_tls(tls_->receiveBytes(buffer, static_cast<int>(size)));
  } catch (const Poco::Exception&) {
    return {Io::Status::failed, 0};
  }
}

Io Transport::write(const char* buffer, std::size_t size) {
  if (!tls_) return from_errno(::send(fd_, buffer, size, MSG_NOSIGNAL), false);
  try {
    return from_tls(tls_->sendBytes(buffer, static_cast<int>(size)));
  } catch (const Poco::Exception&) {
    return {Io::Status::failed, 0};
  }
}

void Transport::shutdown_send() {
  try {
    if (tls_) {
      tls_->shutdownSend();
    } else {
      ::shutdown(fd_, SHUT_WR);
    }
  } catch (const Poco::Exception&) {
    // The client has gone; closing follows.
  }
}

}  // namespace linkgate::server
