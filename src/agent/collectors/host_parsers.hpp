// Pure parsers for the /proc and /etc text the host collector reads. Each takes the file's text and
// returns what it could read; anything missing or malformed becomes "absent" (nullopt / skipped), never
// an exception, so a half-readable host still produces a heartbeat.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.hpp"

namespace balctl::agent::collectors {

// /proc/uptime: "12345.67 23456.78" -> 12345.67
std::optional<double> parse_uptime(std::string_view text);

// /proc/loadavg: "0.10 0.20 0.30 1/234 5678" -> {0.10, 0.20, 0.30}
std::optional<std::array<double, 3>> parse_loadavg(std::string_view text);

// The aggregate "cpu" line of /proc/stat.
struct CpuTimes {
  std::uint64_t idle = 0;   // idle + iowait
  std::uint64_t total = 0;  // all columns
};
std::optional<CpuTimes> parse_cpu_times(std::string_view proc_stat);
// Busy share between two samples, 0-100; nullopt when no time passed or the counters went backwards.
std::optional<double> cpu_utilisation(const CpuTimes& before, const CpuTimes& after);

// /proc/meminfo: MemTotal and MemAvailable (estimated from MemFree + Buffers + Cached on kernels that
// predate MemAvailable).
std::optional<protocol::Memory> parse_meminfo(std::string_view text);

struct MountEntry {
  std::string device;
  std::string mount_point;
  std::string fs_type;
};
// /proc/self/mounts, with the kernel's octal escapes (\040 for a space) undone.
std::vector<MountEntry> parse_mounts(std::string_view text);
// Filesystems that hold no user data (proc, sysfs, tmpfs, cgroup, overlay, squashfs snaps, ...): their
// usage means nothing to an operator, so they are not reported.
bool is_pseudo_filesystem(std::string_view fs_type);

// /etc/os-release: PRETTY_NAME (or NAME VERSION), unquoted.
std::string parse_os_release(std::string_view text);

}  // namespace balctl::agent::collectors
