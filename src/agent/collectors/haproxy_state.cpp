#include "agent/collectors/haproxy_state.hpp"

#include <array>
#include <charconv>
#include <cstdlib>
#include <dirent.h>
#include <poll.h>
#include <set>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent/collectors/haproxy_parsers.hpp"
#include "agent/collectors/haproxy_socket.hpp"
#include "agent/collectors/systemd_units.hpp"
#include "agent/collectors/text.hpp"

namespace balctl::agent::collectors {
namespace {

using protocol::HaproxyState;

constexpr int kScanEvery = 5;        // probes; at 200 ms per probe: one /proc scan a second
constexpr long kMaxPid = 4'194'304;  // PID_MAX_LIMIT on 64-bit Linux
constexpr std::size_t kMaxBinaries = 32;
// The probe runs every 200 ms; asking for the PID must stay far inside that.
constexpr std::chrono::milliseconds kPidQueryTimeout{100};

// The parent PID in /proc/PID/stat text ("1234 (haproxy) S 1200 ..."), or 0.
long parent_pid(std::string_view stat) {
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos || close + 4 >= stat.size()) return 0;
  std::string_view rest = stat.substr(close + 4);  // after ") S "
  long ppid = 0;
  std::from_chars(rest.data(), rest.data() + rest.size(), ppid);
  return ppid;
}

std::vector<std::string> default_binaries() {
  std::vector<std::string> out;
  std::set<std::string, std::less<>> seen;
  const auto add = [&](std::string_view dir) {
    if (dir.empty() || dir.front() != '/' || out.size() >= kMaxBinaries) return;
    std::string path = std::string(dir) + "/haproxy";
    if (seen.insert(path).second) out.push_back(std::move(path));
  };
  // PATH as the agent was started with; systemd's default PATH already has the sbin directories.
  if (const char* env = std::getenv("PATH")) {
    std::string_view path = env;
    while (!path.empty()) {
      const auto colon = path.find(':');
      add(path.substr(0, colon));
      path.remove_prefix(colon == std::string_view::npos ? path.size() : colon + 1);
    }
  }
  for (const char* dir : {"/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin", "/sbin", "/bin"})
    add(dir);
  return out;
}

bool readable_now(int fd) {
  pollfd waiter{fd, POLLIN, 0};
  return ::poll(&waiter, 1, 0) > 0;
}

}  // namespace

HaproxyState state_from_systemd(std::string_view load_state, std::string_view active_state) {
  if (load_state == "not-found" || load_state.empty()) return HaproxyState::absent;
  if (active_state == "active" || active_state == "reloading") return HaproxyState::running;
  return HaproxyState::stopped;
}

bool is_live_haproxy_stat(std::string_view stat) {
  // "PID (COMM) STATE ...": COMM may itself hold ')' or ' ', so it ends at the last ')'.
  const auto open = stat.find('(');
  const auto close = stat.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open ||
      close + 2 >= stat.size() || stat[close + 1] != ' ') {
    return false;
  }
  const auto comm = stat.substr(open + 1, close - open - 1);
  const char state = stat[close + 2];
  return comm == "haproxy" && state != 'Z' && state != 'X' && state != 'x';
}

std::optional<long> parse_pidfile(std::string_view text) {
  text = text.substr(0, text.find('\n'));
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r' || text.back() == '\t'))
    text.remove_suffix(1);
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  long pid = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || pid <= 0 || pid > kMaxPid) {
    return std::nullopt;
  }
  return pid;
}

HaproxyStateProbe::HaproxyStateProbe(StateProbeSettings settings) : settings_(std::move(settings)) {
  if (settings_.binaries.empty()) settings_.binaries = default_binaries();
  // Whether systemd is PID 1 cannot change while we run: decided once.
  if (settings_.use_systemd && (!settings_.systemd_address.empty() || SystemdClient::systemd_booted())) {
    systemd_ = std::make_unique<SystemdClient>(settings_.systemd_address);
  }
}

HaproxyStateProbe::~HaproxyStateProbe() {
  watch_exit(0);
}

void HaproxyStateProbe::watch_exit(long pid) {
  if (pid == pidfd_pid_ && (pid == 0 || pidfd_ >= 0)) return;
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  pidfd_pid_ = pid;
  // pidfd_open needs Linux 5.3; without it the caller simply keeps polling on its interval. The fd is
  // close-on-exec, so a job's child never inherits it.
  if (pid > 0) pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
}

bool HaproxyStateProbe::watched_process_exited() const {
  return pidfd_ >= 0 && readable_now(pidfd_);
}

HaproxyState HaproxyStateProbe::probe() {
  if (systemd_) {
    const auto state = probe_systemd();
    if (state != HaproxyState::unknown) return state;
    // systemd did not answer: judge by the process rather than report nothing.
    const std::string why = detail_;
    const auto fallback = probe_process();
    detail_ = why + "; " + detail_;
    return fallback;
  }
  return probe_process();
}

HaproxyState HaproxyStateProbe::probe_systemd() {
  // MainPID costs a third round trip, so it is asked only while no live main process is being watched.
  const bool need_pid = pidfd_ < 0 || watched_process_exited();
  auto unit = systemd_->unit_state(settings_.unit, need_pid);
  if (!unit) {
    watch_exit(0);
    detail_ = unit.error().message;
    return HaproxyState::unknown;
  }
  found_by_ = "systemd unit " + settings_.unit;
  detail_ =
      "systemd " + settings_.unit + ": LoadState=" + unit->load_state + " ActiveState=" + unit->active_state;
  const auto state = state_from_systemd(unit->load_state, unit->active_state);
  if (state != HaproxyState::running) {
    watch_exit(0);
    dead_main_pid_ = 0;
    return state;
  }
  if (!need_pid) return state;
  const long pid = unit->main_pid;
  if (pid > 0 && pid != dead_main_pid_) watch_exit(pid);
  // The main process can die a few milliseconds before systemd reaps it and changes ActiveState; the
  // pidfd told us first, so we say so rather than report a dead HAProxy as running.
  if (pid > 0 && (pid == dead_main_pid_ || watched_process_exited())) {
    dead_main_pid_ = pid;
    watch_exit(0);
    detail_ += "; main process " + std::to_string(pid) + " has exited";
    return HaproxyState::stopped;
  }
  if (pid <= 0) watch_exit(0);
  return state;
}

bool HaproxyStateProbe::pid_is_haproxy(long pid) const {
  auto stat = read_text_file(settings_.proc_root + "/" + std::to_string(pid) + "/stat", 4096);
  return stat && is_live_haproxy_stat(*stat);
}

std::optional<long> HaproxyStateProbe::find_haproxy_process() const {
  DIR* dir = ::opendir(settings_.proc_root.c_str());
  if (dir == nullptr) return std::nullopt;
  std::optional<long> found;
  while (const dirent* entry = ::readdir(dir)) {
    const auto pid = parse_pidfile(entry->d_name);
    if (pid && pid_is_haproxy(*pid)) {
      found = pid;
      break;
    }
  }
  ::closedir(dir);
  return found;
}

bool HaproxyStateProbe::haproxy_installed() const {
  for (const auto& path : settings_.binaries) {
    if (::access(path.c_str(), X_OK) == 0) return true;
  }
  return false;
}

// "show info" names the process serving the socket: in master-worker mode a worker, replaced at every
// reload, so its master is taken when the parent is a haproxy too.
std::optional<long> HaproxyStateProbe::ask_socket_for_pid() {
  if (asks_skipped_ > 0) {
    --asks_skipped_;
    return std::nullopt;
  }
  auto fail = [this](std::string why) -> std::optional<long> {
    socket_error_ = std::move(why);
    asks_skipped_ = kScanEvery - 1;
    return std::nullopt;
  };
  auto reply = query_stats_socket(settings_.stats_socket, "show info", kPidQueryTimeout, 64 * 1024);
  if (!reply) return fail(reply.error().message);
  auto info = parse_show_info(*reply);
  if (!info || !info->pid || *info->pid <= 0) {
    return fail("stats socket " + settings_.stats_socket + " named no PID");
  }
  const long pid = static_cast<long>(*info->pid);
  if (!pid_is_haproxy(pid)) {
    return fail("stats socket " + settings_.stats_socket + ": process " + std::to_string(pid) +
                " is not a live haproxy here");
  }
  socket_error_.clear();
  auto stat = read_text_file(settings_.proc_root + "/" + std::to_string(pid) + "/stat", 4096);
  const long parent = stat ? parent_pid(*stat) : 0;
  return parent > 1 && pid_is_haproxy(parent) ? parent : pid;
}

std::optional<HaproxyState> HaproxyStateProbe::probe_known_pid(long pid, const std::string& how) {
  if (pid <= 0 || !pid_is_haproxy(pid)) return std::nullopt;
  watch_exit(pid);
  found_by_ = how;
  detail_ = how + ": process " + std::to_string(pid) + " is haproxy";
  return HaproxyState::running;
}

HaproxyState HaproxyStateProbe::not_running(std::string why) {
  watch_exit(0);
  found_by_.clear();
  detail_ = std::move(why);
  if (settings_.pidfile.empty() && !haproxy_installed()) {
    detail_ += "; no haproxy executable installed";
    return HaproxyState::absent;
  }
  return HaproxyState::stopped;
}

HaproxyState HaproxyStateProbe::probe_process() {
  if (!settings_.pidfile.empty()) {
    const auto text = read_text_file(settings_.pidfile, 4096);
    if (!text) return not_running("pidfile " + text.error().message);
    const auto pid = parse_pidfile(*text);
    if (!pid) return not_running("pidfile " + settings_.pidfile + " holds no PID");
    if (!pid_is_haproxy(*pid)) {
      return not_running("pidfile " + settings_.pidfile + ": process " + std::to_string(*pid) +
                         " is not a live haproxy");
    }
    watch_exit(*pid);
    found_by_ = "pidfile " + settings_.pidfile;
    detail_ = "pidfile " + settings_.pidfile + ": process " + std::to_string(*pid) + " is haproxy";
    return HaproxyState::running;
  }
  if (!settings_.stats_socket.empty()) {
    const std::string how = "stats socket " + settings_.stats_socket;
    if (auto state = probe_known_pid(socket_pid_, how)) return *state;
    socket_pid_ = 0;
    if (const auto pid = ask_socket_for_pid()) {
      socket_pid_ = *pid;
      if (auto state = probe_known_pid(socket_pid_, how)) return *state;
    }
  }
  if (!settings_.scan_by_name) {
    // A configured socket or pidfile says which HAProxy is ours; another one on the host is not.
    return not_running("no haproxy process found through the stats socket" +
                       (socket_error_.empty() ? std::string() : " (" + socket_error_ + ")") +
                       "; not guessing by process name (set BALCTL_HAPROXY_PIDFILE)");
  }
  if (last_pid_ > 0 && pid_is_haproxy(last_pid_)) {
    watch_exit(last_pid_);
    found_by_ = "process name";
    detail_ = "process " + std::to_string(last_pid_) + " is haproxy";
    return HaproxyState::running;
  }
  last_pid_ = 0;
  // Scanning /proc costs more than the rest of the probe together; while HAProxy is down, once a second.
  if (scans_skipped_ > 0) {
    --scans_skipped_;
  } else if (const auto pid = find_haproxy_process()) {
    last_pid_ = *pid;
    watch_exit(*pid);
    found_by_ = "process name";
    detail_ = "process " + std::to_string(*pid) + " is haproxy";
    return HaproxyState::running;
  } else {
    scans_skipped_ = kScanEvery - 1;
  }
  return not_running("no haproxy process");
}

}  // namespace balctl::agent::collectors
