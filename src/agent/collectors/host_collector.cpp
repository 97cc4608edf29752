#include "agent/collectors/host_collector.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <set>

#include "common/files.hpp"

namespace balctl::agent::collectors {
namespace {

constexpr std::size_t kMaxProcFileBytes = 256 * 1024;

std::string read_small(const std::filesystem::path& path) {
  auto text = files::read(path, kMaxProcFileBytes);
  return text ? std::move(*text) : std::string();
}

// statvfs() on a network filesystem whose server is gone can block for minutes; those are not ours to
// report anyway.
bool is_network_filesystem(std::string_view fs_type) {
  return fs_type.rfind("nfs", 0) == 0 || fs_type == "cifs" || fs_type == "smb3" || fs_type == "smbfs" ||
         fs_type.rfind("fuse.", 0) == 0 || fs_type == "ceph" || fs_type == "glusterfs" || fs_type == "9p";
}

}  // namespace

HostCollector::HostCollector(std::filesystem::path proc_root, std::filesystem::path etc_root)
    : proc_root_(std::move(proc_root)), etc_root_(std::move(etc_root)) {}

std::vector<protocol::Disk> HostCollector::disks() const {
  std::vector<protocol::Disk> out;
  std::set<std::string> devices_seen;
  for (const auto& mount : parse_mounts(read_small(proc_root_ / "self/mounts"))) {
    if (is_pseudo_filesystem(mount.fs_type) || is_network_filesystem(mount.fs_type)) continue;
    if (!devices_seen.insert(mount.device).second) continue;  // bind mounts of one device count once
    struct statvfs info {};
    if (::statvfs(mount.mount_point.c_str(), &info) != 0 || info.f_blocks == 0) continue;
    const auto block = static_cast<std::int64_t>(info.f_frsize);
    const auto total = static_cast<std::int64_t>(info.f_blocks) * block;
    const auto free = static_cast<std::int64_t>(info.f_bfree) * block;
    out.push_back({mount.mount_point, mount.fs_type, total, std::max<std::int64_t>(0, total - free)});
    if (out.size() >= protocol::kMaxDisks) break;
  }
  return out;
}

void HostCollector::collect(protocol::Heartbeat& hb) {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) == 0) hb.hostname = name;
  hb.uptime_s = parse_uptime(read_small(proc_root_ / "uptime"));
  hb.load = parse_loadavg(read_small(proc_root_ / "loadavg"));
  const auto cpu = parse_cpu_times(read_small(proc_root_ / "stat"));
  hb.cpu_pct.reset();
  if (cpu && previous_cpu_) hb.cpu_pct = cpu_utilisation(*previous_cpu_, *cpu);
  if (cpu) previous_cpu_ = cpu;
  hb.memory = parse_meminfo(read_small(proc_root_ / "meminfo"));
  hb.disks = disks();
  hb.ipv4 = interface_addresses();
  utsname uts{};
  if (::uname(&uts) == 0) hb.kernel = uts.release;
  hb.os = parse_os_release(read_small(etc_root_ / "os-release"));
}

std::vector<protocol::InterfaceAddress> interface_addresses() {
  std::vector<protocol::InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* it = list; it != nullptr && out.size() < protocol::kMaxAddresses; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    if ((it->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* address = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
    ::inet_ntop(AF_INET, &address->sin_addr, text, sizeof text);
    int prefix = 32;
    if (it->ifa_netmask != nullptr) {
      const auto* mask = reinterpret_cast<const sockaddr_in*>(it->ifa_netmask);
      prefix = std::popcount(ntohl(mask->sin_addr.s_addr));
    }
    out.push_back({it->ifa_name, text, prefix});
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace balctl::agent::collectors
