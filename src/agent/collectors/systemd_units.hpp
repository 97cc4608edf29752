// Asks systemd about a unit over D-Bus (libsystemd sd-bus), on one connection kept open between calls so
// the 200 ms HAProxy probe costs one round trip (its property reads are pipelined). Each call has one
// short deadline covering connect, authentication and replies: a hung systemd delays a probe by at most
// that, never by sd-bus's own 25 s call or 90 s authentication timeouts. Usable for any unit (HAProxy
// now, the services list later).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/result.hpp"

namespace balctl::agent::collectors {

struct UnitState {
  std::string load_state;      // loaded | not-found | masked | error | bad-setting
  std::string active_state;    // active | reloading | inactive | failed | activating | deactivating
  std::uint32_t main_pid = 0;  // only filled when asked for; 0 when there is none
};

class SystemdClient {
 public:
  // `address` replaces systemd's own D-Bus address (tests run a fake systemd). Empty: systemd's private
  // socket when we are root, as systemctl does (it works where no dbus-daemon is installed), else the
  // system bus.
  explicit SystemdClient(std::string address = {},
                         std::chrono::milliseconds call_timeout = std::chrono::milliseconds(150));
  ~SystemdClient();
  SystemdClient(const SystemdClient&) = delete;
  SystemdClient& operator=(const SystemdClient&) = delete;

  // LoadState and ActiveState of `unit` (and the service's MainPID when `with_main_pid`). systemd
  // loads a unit on demand when its object is accessed, so a unit that does not exist answers
  // LoadState=not-found rather than an error. An error means systemd did not answer; the connection
  // is then dropped and made again on the next call.
  Result<UnitState> unit_state(const std::string& unit, bool with_main_pid = false);

  // Whether systemd is PID 1 here (sd_booted()).
  static bool systemd_booted();

 private:
  Status connect();

  struct Bus;
  std::string address_;
  std::chrono::milliseconds call_timeout_;
  std::unique_ptr<Bus> bus_;
};

}  // namespace balctl::agent::collectors
