// The cheap HAProxy state probe the agent runs every 200 ms: running, stopped or absent, without talking
// to HAProxy and without forking.
//  - systemd is PID 1: ask systemd over D-Bus (SystemdClient, one kept-open connection) for the unit's
//    LoadState/ActiveState. absent = LoadState not-found; running = active or reloading; anything else
//    (inactive, failed, activating during a restart, ...) = stopped. If systemd does not answer, the
//    process check below decides and the detail says so.
//  - otherwise: the pidfile (BALCTL_HAPROXY_PIDFILE) must name a live, non-zombie process called
//    "haproxy"; with no pidfile configured, the stats socket's "show info" names the process (its
//    master when it has one, which outlives reloads), asked only while no such process is known (at
//    most once a second). Only when neither a pidfile nor a stats socket is configured does a /proc
//    scan look for any process called haproxy (at most once a second while none is found): on a shared
//    host that may be someone else's. absent = no pidfile configured AND no haproxy executable in $PATH
//    or the usual sbin/bin directories; a configured pidfile means the operator says HAProxy lives here,
//    so it is "stopped".
// The probe also keeps a pidfd of the HAProxy process it found (systemd's MainPID in systemd mode): it
// becomes readable the moment that process exits, so the caller can re-probe at once.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.hpp"

namespace balctl::agent::collectors {

class SystemdClient;

struct StateProbeSettings {
  std::string unit = "haproxy.service";
  std::string pidfile;  // used when systemd is not PID 1
  std::string proc_root = "/proc";
  bool use_systemd = true;  // false forces the pidfile/process check (tests, containers)
  // Tests: a D-Bus address of a fake systemd, used even though systemd is not PID 1 here.
  std::string systemd_address;
  // Where an installed HAProxy would be; empty: $PATH plus /usr/sbin, /usr/local/sbin, /usr/bin, ...
  std::vector<std::string> binaries;
  // Asked for HAProxy's PID when there is no pidfile; empty: not asked.
  std::string stats_socket;
  // Whether a process merely called "haproxy" may be taken for ours (the /proc scan).
  bool scan_by_name = true;
};

// Pure mapping of systemd's LoadState/ActiveState to our three states.
protocol::HaproxyState state_from_systemd(std::string_view load_state, std::string_view active_state);
// Whether /proc/PID/stat text ("1234 (haproxy) S 1 ...") describes a live HAProxy process. A killed
// process stays a zombie (state Z) until its parent reaps it; that is not a running HAProxy.
bool is_live_haproxy_stat(std::string_view stat);
// The PID on a pidfile's first line ("1234\n"); nullopt for anything else.
std::optional<long> parse_pidfile(std::string_view text);

class HaproxyStateProbe {
 public:
  explicit HaproxyStateProbe(StateProbeSettings settings);
  ~HaproxyStateProbe();
  HaproxyStateProbe(const HaproxyStateProbe&) = delete;
  HaproxyStateProbe& operator=(const HaproxyStateProbe&) = delete;

  protocol::HaproxyState probe();
  // How the last answer was reached, for the report's detail field.
  const std::string& detail() const { return detail_; }
  // How the process was found ("pidfile PATH", "stats socket PATH", "systemd unit U", "process name");
  // empty while none is found.
  const std::string& found_by() const { return found_by_; }
  // A pidfd of the HAProxy process last found running, or -1. It becomes readable the moment that
  // process exits, so the caller can poll it and re-probe at once instead of waiting for the next tick.
  // The probe that follows its exit closes or replaces it, so it never stays readable.
  int exit_watch_fd() const { return pidfd_; }

 private:
  protocol::HaproxyState probe_systemd();
  protocol::HaproxyState probe_process();
  protocol::HaproxyState not_running(std::string why);
  bool pid_is_haproxy(long pid) const;
  std::optional<long> find_haproxy_process() const;
  std::optional<long> ask_socket_for_pid();
  std::optional<protocol::HaproxyState> probe_known_pid(long pid, const std::string& how);
  bool haproxy_installed() const;
  bool watched_process_exited() const;
  void watch_exit(long pid);

  StateProbeSettings settings_;
  std::unique_ptr<SystemdClient> systemd_;  // null when systemd is not asked
  std::string detail_;
  std::string found_by_;
  std::string socket_error_;  // why the stats socket named no process, for the detail

  long last_pid_ = 0;      // the process the /proc scan found last time, checked first
  long socket_pid_ = 0;    // the process the stats socket named, checked without asking again
  int scans_skipped_ = 0;  // a full /proc scan while stopped runs at most once a second
  int asks_skipped_ = 0;   // so does asking the stats socket for the PID
  int pidfd_ = -1;
  long pidfd_pid_ = 0;
  long dead_main_pid_ = 0;  // systemd's MainPID that we saw exit before systemd did
};

}  // namespace balctl::agent::collectors
