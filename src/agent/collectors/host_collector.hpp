// Reads the host facts a heartbeat carries (agent version, hostname, uptime, load, CPU, memory, disks,
// IPv4 addresses, kernel, OS) and turns them into protocol::Heartbeat fields through the pure parsers
// in host_parsers.hpp. A source that cannot be read leaves its field absent and is named in failures().
// Keeps the previous /proc/stat sample, so cpu_pct is the busy share since the previous collect().
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "agent/collectors/host_parsers.hpp"
#include "common/protocol.hpp"

namespace balctl::agent::collectors {

class HostCollector {
 public:
  // The roots are parameters so tests can point the collector at fixture trees.
  // Disks, addresses, hostname, kernel and OS change rarely: they are read again only every
  // `slow_refresh` and reused in between (0: every call).
  explicit HostCollector(std::filesystem::path proc_root = "/proc", std::filesystem::path etc_root = "/etc",
                         std::chrono::milliseconds slow_refresh = std::chrono::milliseconds(0));

  // Fills agent_version, hostname, uptime_s, load, cpu_pct, memory, disks, ipv4, kernel and os. The first
  // call has no CPU figure yet (a share needs two samples).
  void collect(protocol::Heartbeat& heartbeat);

  // What the last collect() could not read, one "what: why" line each, for a rate-limited log line.
  const std::vector<std::string>& failures() const { return failures_; }

 private:
  std::string read_source(const std::filesystem::path& path);
  void collect_slow_facts(protocol::Heartbeat& heartbeat);

  std::filesystem::path proc_root_;
  std::filesystem::path etc_root_;
  std::optional<CpuTimes> previous_cpu_;
  std::vector<std::string> failures_;
  std::chrono::milliseconds slow_refresh_;
  std::optional<std::chrono::steady_clock::time_point> slow_read_at_;
  protocol::Heartbeat slow_;  // the cached slow facts
};

// Space of each mount (statvfs); a mount that cannot be queried is left out.
std::vector<protocol::Disk> disk_usage(const std::vector<MountEntry>& mounts);

// IPv4 addresses of the interfaces that are up, except loopback (DNS can never point there), from
// getifaddrs(), with their prefix length.
std::vector<protocol::InterfaceAddress> interface_addresses();

}  // namespace balctl::agent::collectors
