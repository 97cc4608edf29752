// Pure parsers for the /proc and /etc text the host collector reads. Each takes the file's text and
// returns what it could read; anything missing or malformed becomes "absent" (nullopt / skipped), never
// an exception, so a half-readable host still produces a heartbeat. Fuzzed in tests/fuzz/.
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

// The aggregate "cpu" line of /proc/stat, in jiffies since boot.
struct CpuTimes {
  std::uint64_t idle = 0;   // idle + iowait
  std::uint64_t total = 0;  // user nice system idle iowait irq softirq steal (guest is inside user)
};
std::optional<CpuTimes> parse_cpu_times(std::string_view proc_stat);
// Busy share between two samples, 0-100; nullopt when no time passed or the counters went backwards.
std::optional<double> cpu_utilisation(const CpuTimes& before, const CpuTimes& after);

// /proc/meminfo: MemTotal and MemAvailable. Kernels before 3.14 lack MemAvailable; there it is
// estimated as MemFree + Buffers + Cached, the figure `free` showed in those days.
std::optional<protocol::Memory> parse_meminfo(std::string_view text);

struct MountEntry {
  std::string device;
  std::string mount_point;
  std::string fs_type;
};
// /proc/self/mounts, with the kernel's octal escapes (\040 for a space, \134 for a backslash) undone.
std::vector<MountEntry> parse_mounts(std::string_view text);
// Filesystems whose usage means nothing to an operator: kernel views (proc, sysfs, cgroup*, ...),
// memory-backed ones (tmpfs, ramfs, devtmpfs), read-only images that are always full (squashfs snaps,
// iso9660, erofs) and overlay (container layers; see disk_mounts for the container-root exception).
bool is_pseudo_filesystem(std::string_view fs_type);
// Remote filesystems: statvfs() on one whose server is gone can block for minutes, and their space
// belongs to another machine, so they are not reported either.
bool is_network_filesystem(std::string_view fs_type);
// The mounts worth a statvfs(): no pseudo or network filesystems (overlay only when it is "/", as in a
// container), each device once (bind mounts repeat it), at most protocol::kMaxDisks.
std::vector<MountEntry> disk_mounts(const std::vector<MountEntry>& mounts);

// /etc/os-release: PRETTY_NAME, else "NAME VERSION", with shell quoting and escapes undone.
std::string parse_os_release(std::string_view text);

// Prefix length of an IPv4 netmask given in host byte order (255.255.255.0 -> 24).
int prefix_length(std::uint32_t netmask);

}  // namespace balctl::agent::collectors
