#pragma once
// systemd's readiness protocol (sd_notify, Type=notify) without libsystemd: one datagram per
// state change to the socket systemd names in $NOTIFY_SOCKET.

#include <string>

namespace linkgate::host {

/// Tells the service manager how the server is doing: READY=1 once it serves, RELOADING=1 while
/// a SIGHUP reload runs (then READY=1 again), STOPPING=1 when it drains. Without $NOTIFY_SOCKET
/// (not started by systemd) every call does nothing. Thread-safe; never throws.
class ServiceNotifier {
 public:
  /// Reads $NOTIFY_SOCKET (a path, or "@name" for Linux's abstract namespace).
  ServiceNotifier();

  /// Sends @p state, e.g. "READY=1\nSTATUS=serving". False when not under a service manager or
  /// the datagram could not be sent (the server goes on either way).
  bool notify(const std::string& state) const noexcept;
  /// READY=1 with a STATUS line.
  bool ready(const std::string& status) const noexcept;
  /// RELOADING=1 with the monotonic clock (systemd 253's Type=notify-reload needs it).
  bool reloading() const noexcept;
  bool stopping() const noexcept;

  [[nodiscard]] bool enabled() const { return !socket_path_.empty(); }

 private:
  std::string socket_path_;
};

}  // namespace linkgate::host
