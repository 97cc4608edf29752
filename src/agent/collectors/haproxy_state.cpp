#include "agent/collectors/haproxy_state.hpp"

#include <dirent.h>
#include <sys/syscall.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <array>
#include <charconv>

#include "common/files.hpp"

namespace balctl::agent::collectors {
namespace {

constexpr int kScanEvery = 5;  // probes; at 200 ms per probe: once a second

bool haproxy_installed() {
  static constexpr std::array<const char*, 4> kPaths = {"/usr/sbin/haproxy", "/usr/local/sbin/haproxy",
                                                        "/usr/bin/haproxy", "/usr/local/bin/haproxy"};
  for (const char* path : kPaths) {
    if (::access(path, X_OK) == 0) return true;
  }
  return false;
}

std::optional<long> parse_pid(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  long pid = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), pid);
  if (ec != std::errc() || end != text.data() + text.size() || pid <= 0) return std::nullopt;
  return pid;
}

}  // namespace

protocol::HaproxyState state_from_systemd(std::string_view load_state, std::string_view active_state) {
  if (load_state == "not-found" || load_state.empty()) return protocol::HaproxyState::absent;
  if (active_state == "active" || active_state == "reloading") return protocol::HaproxyState::running;
  return protocol::HaproxyState::stopped;
}

bool is_live_haproxy_stat(std::string_view stat) {
  const auto open = stat.find('(');
  const auto close = stat.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open || close + 2 >= stat.size()) {
    return false;
  }
  const auto comm = stat.substr(open + 1, close - open - 1);
  const char state = stat[close + 2];
  return comm == "haproxy" && state != 'Z' && state != 'X' && state != 'x';
}

struct HaproxyStateProbe::Bus {
  sd_bus* bus = nullptr;
  std::string unit_path;
  ~Bus() { sd_bus_flush_close_unref(bus); }
};

HaproxyStateProbe::HaproxyStateProbe(StateProbeSettings settings) : settings_(std::move(settings)) {}

HaproxyStateProbe::~HaproxyStateProbe() { watch_exit(0); }

void HaproxyStateProbe::watch_exit(long pid) {
  if (pid == pidfd_pid_) return;
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  pidfd_pid_ = pid;
  // pidfd_open needs Linux 5.3; without it the caller simply keeps polling on its interval.
  if (pid > 0) pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(pid), 0));
}

protocol::HaproxyState HaproxyStateProbe::probe() {
  if (settings_.use_systemd && sd_booted() > 0) {
    watch_exit(0);
    const auto state = probe_systemd();
    if (state != protocol::HaproxyState::unknown) return state;
    // systemd did not answer: judge by the process rather than report nothing.
    const std::string why = detail_;
    const auto fallback = probe_process();
    detail_ = why + "; " + detail_;
    return fallback;
  }
  return probe_process();
}

protocol::HaproxyState HaproxyStateProbe::probe_systemd() {
  if (!bus_) {
    auto bus = std::make_unique<Bus>();
    char* path = nullptr;
    if (sd_bus_open_system(&bus->bus) < 0 ||
        sd_bus_path_encode("/org/freedesktop/systemd1/unit", settings_.unit.c_str(), &path) < 0) {
      detail_ = "cannot connect to systemd over D-Bus";
      return protocol::HaproxyState::unknown;
    }
    bus->unit_path = path;
    free(path);  // NOLINT: allocated by sd-bus
    bus_ = std::move(bus);
  }
  // systemd loads a unit on demand when its object path is accessed, so a missing unit answers
  // LoadState=not-found instead of an error.
  const auto read = [this](const char* property, std::string& out) {
    sd_bus_error error = SD_BUS_ERROR_NULL;
    char* value = nullptr;
    const int rc = sd_bus_get_property_string(bus_->bus, "org.freedesktop.systemd1", bus_->unit_path.c_str(),
                                              "org.freedesktop.systemd1.Unit", property, &error, &value);
    sd_bus_error_free(&error);
    if (rc < 0) return false;
    out = value;
    free(value);  // NOLINT: allocated by sd-bus
    return true;
  };
  std::string load_state;
  std::string active_state;
  if (!read("LoadState", load_state) || !read("ActiveState", active_state)) {
    bus_.reset();  // reconnect next time (systemd may have been re-executed)
    detail_ = "systemd did not answer for " + settings_.unit;
    return protocol::HaproxyState::unknown;
  }
  detail_ = "systemd " + settings_.unit + " LoadState=" + load_state + " ActiveState=" + active_state;
  return state_from_systemd(load_state, active_state);
}

bool HaproxyStateProbe::pid_is_haproxy(long pid) const {
  auto stat = files::read(settings_.proc_root + "/" + std::to_string(pid) + "/stat", 4096);
  return stat && is_live_haproxy_stat(*stat);
}

std::optional<long> HaproxyStateProbe::find_haproxy_process() const {
  DIR* dir = ::opendir(settings_.proc_root.c_str());
  if (dir == nullptr) return std::nullopt;
  std::optional<long> found;
  while (const dirent* entry = ::readdir(dir)) {
    const auto pid = parse_pid(entry->d_name);
    if (pid && pid_is_haproxy(*pid)) {
      found = pid;
      break;
    }
  }
  ::closedir(dir);
  return found;
}

protocol::HaproxyState HaproxyStateProbe::probe_process() {
  if (!settings_.pidfile.empty()) {
    const auto text = files::read(settings_.pidfile, 64);
    const auto pid = text ? parse_pid(*text) : std::nullopt;
    if (pid && pid_is_haproxy(*pid)) {
      detail_ = "pidfile " + settings_.pidfile + ": process " + std::to_string(*pid) + " is haproxy";
      watch_exit(*pid);
      return protocol::HaproxyState::running;
    }
    watch_exit(0);
    detail_ = text ? "pidfile " + settings_.pidfile + " names no live haproxy process"
                   : "pidfile " + settings_.pidfile + " is missing";
    return haproxy_installed() ? protocol::HaproxyState::stopped : protocol::HaproxyState::absent;
  }
  if (last_pid_ > 0 && pid_is_haproxy(last_pid_)) {
    detail_ = "process " + std::to_string(last_pid_) + " is haproxy";
    return protocol::HaproxyState::running;
  }
  last_pid_ = 0;
  watch_exit(0);
  // Scanning /proc costs more than the rest of the probe together; when HAProxy is down, once a second.
  if (scans_skipped_ > 0) {
    --scans_skipped_;
  } else if (const auto pid = find_haproxy_process()) {
    last_pid_ = *pid;
    watch_exit(*pid);
    detail_ = "process " + std::to_string(*pid) + " is haproxy";
    return protocol::HaproxyState::running;
  } else {
    scans_skipped_ = kScanEvery - 1;
  }
  detail_ = "no haproxy process";
  return haproxy_installed() ? protocol::HaproxyState::stopped : protocol::HaproxyState::absent;
}

}  // namespace balctl::agent::collectors
