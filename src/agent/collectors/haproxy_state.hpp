// The cheap HAProxy state probe the agent runs every 200 ms: running, stopped or absent, without talking
// to HAProxy itself. Where systemd is PID 1 it asks systemd over D-Bus (one kept-open connection, two
// property reads); elsewhere it checks the pidfile, or finds the process by name.
//   absent  = HAProxy is not installed (no unit file / no haproxy binary)
//   stopped = installed but no live HAProxy process (or the unit is not active)
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/protocol.hpp"

namespace balctl::agent::collectors {

struct StateProbeSettings {
  std::string unit = "haproxy.service";
  std::string pidfile;      // used when systemd is not PID 1
  std::string proc_root = "/proc";
  bool use_systemd = true;  // false forces the pidfile/process check (tests, containers)
};

// Pure mapping of systemd's LoadState/ActiveState to our three states.
protocol::HaproxyState state_from_systemd(std::string_view load_state, std::string_view active_state);
// Whether /proc/PID/stat text ("1234 (haproxy) S 1 ...") describes a live HAProxy process. A killed
// process stays a zombie (state Z) until its parent reaps it; that is not a running HAProxy.
bool is_live_haproxy_stat(std::string_view stat);

class HaproxyStateProbe {
 public:
  explicit HaproxyStateProbe(StateProbeSettings settings);
  ~HaproxyStateProbe();
  HaproxyStateProbe(const HaproxyStateProbe&) = delete;
  HaproxyStateProbe& operator=(const HaproxyStateProbe&) = delete;

  protocol::HaproxyState probe();
  // How the last answer was reached, for the report's detail field.
  const std::string& detail() const { return detail_; }
  // A pidfd of the HAProxy process last found running, or -1. It becomes readable the moment that
  // process exits, so the caller can poll it and re-probe at once instead of waiting for the next tick.
  int exit_watch_fd() const { return pidfd_; }

 private:
  protocol::HaproxyState probe_systemd();
  protocol::HaproxyState probe_process();
  bool pid_is_haproxy(long pid) const;
  std::optional<long> find_haproxy_process() const;

  struct Bus;
  StateProbeSettings settings_;
  std::unique_ptr<Bus> bus_;
  std::string detail_;
  void watch_exit(long pid);

  long last_pid_ = 0;          // the process found last time, checked first
  int scans_skipped_ = 0;      // a full /proc scan while stopped runs at most once a second
  int pidfd_ = -1;
  long pidfd_pid_ = 0;
};

}  // namespace balctl::agent::collectors
