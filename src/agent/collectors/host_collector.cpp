#include "agent/collectors/host_collector.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <climits>

#include "agent/collectors/text.hpp"
#include "common/validate.hpp"
#include "common/version.hpp"

namespace balctl::agent::collectors {

HostCollector::HostCollector(std::filesystem::path proc_root, std::filesystem::path etc_root,
                             std::chrono::milliseconds slow_refresh)
    : proc_root_(std::move(proc_root)), etc_root_(std::move(etc_root)), slow_refresh_(slow_refresh) {}

std::string HostCollector::read_source(const std::filesystem::path& path) {
  auto text = read_text_file(path.string());
  if (text) return std::move(*text);
  failures_.push_back(text.error().message);
  return {};
}

void HostCollector::collect(protocol::Heartbeat& hb) {
  failures_.clear();
  hb.agent_version = kVersion;
  hb.uptime_s = parse_uptime(read_source(proc_root_ / "uptime"));
  hb.load = parse_loadavg(read_source(proc_root_ / "loadavg"));

  // A failed sample drops the previous one too: a share across a gap would not be "since last time".
  const auto cpu = parse_cpu_times(read_source(proc_root_ / "stat"));
  hb.cpu_pct = cpu && previous_cpu_ ? cpu_utilisation(*previous_cpu_, *cpu) : std::nullopt;
  previous_cpu_ = cpu;
  hb.memory = parse_meminfo(read_source(proc_root_ / "meminfo"));

  const auto now = std::chrono::steady_clock::now();
  if (!slow_read_at_ || now - *slow_read_at_ >= slow_refresh_) {
    collect_slow_facts(slow_);
    slow_read_at_ = now;
  }
  hb.hostname = slow_.hostname;
  hb.disks = slow_.disks;
  hb.ipv4 = slow_.ipv4;
  hb.kernel = slow_.kernel;
  hb.os = slow_.os;
}

void HostCollector::collect_slow_facts(protocol::Heartbeat& hb) {
  char name[HOST_NAME_MAX + 1] = {};
  if (::gethostname(name, sizeof name - 1) == 0) {
    // The control plane refuses a heartbeat whose host name is not RFC 1123 (it would be agent text in its
    // logs); such a name is left out rather than costing the heartbeat: the member is known by its
    // enrolled name anyway.
    const auto valid = validate::hostname(clean_text(name));
    hb.hostname = valid.value_or("");
    if (!valid) failures_.push_back("host name is not an RFC 1123 name; not reported");
  } else {
    failures_.push_back("gethostname failed");
  }
  hb.disks = disk_usage(disk_mounts(parse_mounts(read_source(proc_root_ / "self/mounts"))));
  hb.ipv4 = interface_addresses();

  utsname uts{};
  hb.kernel = ::uname(&uts) == 0 ? clean_text(uts.release) : "";

  // os-release(5): /etc/os-release, falling back to /usr/lib/os-release.
  auto os_release = read_text_file((etc_root_ / "os-release").string());
  if (!os_release)
    os_release = read_text_file((etc_root_ / "../usr/lib/os-release").lexically_normal().string());
  if (!os_release) failures_.push_back(os_release.error().message);
  hb.os = os_release ? clean_text(parse_os_release(*os_release)) : "";
}

std::vector<protocol::Disk> disk_usage(const std::vector<MountEntry>& mounts) {
  std::vector<protocol::Disk> out;
  for (const auto& mount : mounts) {
    struct statvfs info {};
    if (::statvfs(mount.mount_point.c_str(), &info) != 0 || info.f_blocks == 0) continue;
    // Sizes as `df` shows them: used = blocks - free (the root-reserved blocks count as not used).
    const auto block = static_cast<std::int64_t>(info.f_frsize);
    const auto total = static_cast<std::int64_t>(info.f_blocks) * block;
    const auto free = static_cast<std::int64_t>(info.f_bfree) * block;
    out.push_back({clean_text(mount.mount_point, 4096), clean_text(mount.fs_type), total,
                   std::max<std::int64_t>(0, total - free)});
  }
  return out;
}

std::vector<protocol::InterfaceAddress> interface_addresses() {
  std::vector<protocol::InterfaceAddress> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (const ifaddrs* it = list; it != nullptr && out.size() < protocol::kMaxAddresses; it = it->ifa_next) {
    if (it->ifa_addr == nullptr || it->ifa_addr->sa_family != AF_INET) continue;
    if ((it->ifa_flags & IFF_LOOPBACK) != 0 || (it->ifa_flags & IFF_UP) == 0) continue;
    char text[INET_ADDRSTRLEN] = {};
    const auto* address = reinterpret_cast<const sockaddr_in*>(it->ifa_addr);
    if (::inet_ntop(AF_INET, &address->sin_addr, text, sizeof text) == nullptr) continue;
    int prefix = 32;
    if (it->ifa_netmask != nullptr) {
      prefix = prefix_length(ntohl(reinterpret_cast<const sockaddr_in*>(it->ifa_netmask)->sin_addr.s_addr));
    }
    out.push_back({clean_text(it->ifa_name), text, prefix});
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace balctl::agent::collectors
