// /proc/self/mounts, including escapes, and the choice of mounts to statvfs().
#include <cstddef>
#include <cstdint>

#include "agent/collectors/host_parsers.hpp"
#include "common/protocol.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl::agent::collectors;
  const auto mounts = parse_mounts({reinterpret_cast<const char*>(data), size});
  for (const auto& mount : mounts) {
    FUZZ_CHECK(!mount.mount_point.empty() && mount.mount_point.front() == '/');
    FUZZ_CHECK(!mount.fs_type.empty() && !mount.device.empty());
  }
  const auto disks = disk_mounts(mounts);
  FUZZ_CHECK(disks.size() <= balctl::protocol::kMaxDisks && disks.size() <= mounts.size());
  for (const auto& disk : disks)
    FUZZ_CHECK(!is_network_filesystem(disk.fs_type));
  return 0;
}
