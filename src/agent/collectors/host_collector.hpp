// Reads the host facts a heartbeat carries (hostname, uptime, load, CPU, memory, disks, IPv4 addresses,
// kernel, OS) through the pure parsers in host_parsers.hpp. A source that cannot be read leaves its field
// absent. Keeps the previous /proc/stat sample so CPU use is the share since the last collection.
#pragma once

#include <filesystem>
#include <optional>

#include "agent/collectors/host_parsers.hpp"
#include "common/protocol.hpp"

namespace balctl::agent::collectors {

class HostCollector {
 public:
  // The roots are parameters so tests can point the collector at fixture trees.
  explicit HostCollector(std::filesystem::path proc_root = "/proc", std::filesystem::path etc_root = "/etc");

  // Fills hostname, uptime_s, load, cpu_pct, memory, disks, ipv4, kernel and os.
  void collect(protocol::Heartbeat& heartbeat);

 private:
  std::vector<protocol::Disk> disks() const;

  std::filesystem::path proc_root_;
  std::filesystem::path etc_root_;
  std::optional<CpuTimes> previous_cpu_;
};

// IPv4 addresses of all interfaces except loopback, from getifaddrs().
std::vector<protocol::InterfaceAddress> interface_addresses();

}  // namespace balctl::agent::collectors
