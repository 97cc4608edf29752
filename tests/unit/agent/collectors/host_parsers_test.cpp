// The pure /proc and /etc parsers, on text captured from a real machine and on hand-made edge cases.
#include "agent/collectors/host_parsers.hpp"

#include <gtest/gtest.h>

#include "unit/agent/collectors/fixtures.hpp"

namespace balctl::agent::collectors {
namespace {

using test::fixture;

TEST(HostParsers, UptimeAndLoadFromRealFiles) {
  const auto uptime = parse_uptime(fixture("proc_uptime.txt"));
  ASSERT_TRUE(uptime);
  EXPECT_GT(*uptime, 0);
  const auto load = parse_loadavg(fixture("proc_loadavg.txt"));
  ASSERT_TRUE(load);
  for (const double value : *load)
    EXPECT_GE(value, 0);
}

TEST(HostParsers, UptimeAndLoadRejectGarbage) {
  EXPECT_FALSE(parse_uptime(""));
  EXPECT_FALSE(parse_uptime("abc 12"));
  EXPECT_FALSE(parse_uptime("-5 1"));
  EXPECT_FALSE(parse_uptime("inf 1"));
  EXPECT_FALSE(parse_uptime("nan 1"));
  EXPECT_FALSE(parse_uptime("\n12.5 99"));  // the value belongs on the first line
  EXPECT_EQ(parse_uptime("12.5 99\n"), 12.5);
  EXPECT_FALSE(parse_loadavg("0.1 0.2"));
  EXPECT_FALSE(parse_loadavg("0.1 0.2\n0.3"));
  EXPECT_FALSE(parse_loadavg("0.1 x 0.3 1/2 3"));
  const auto load = parse_loadavg("1.5 0.5 0.25 2/300 4000\n");
  ASSERT_TRUE(load);
  EXPECT_EQ(*load, (std::array<double, 3>{1.5, 0.5, 0.25}));
}

TEST(HostParsers, CpuTimesFromRealProcStat) {
  const auto real = parse_cpu_times(fixture("proc_stat.txt"));
  ASSERT_TRUE(real);
  EXPECT_GT(real->total, real->idle);
  EXPECT_GT(real->idle, 0u);
}

TEST(HostParsers, CpuUtilisationIsTheBusyShareBetweenSamples) {
  const auto before = parse_cpu_times("cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n");
  const auto after = parse_cpu_times("cpu  150 0 150 850 150 0 0 0 50 0\n");
  ASSERT_TRUE(before && after);
  EXPECT_EQ(before->total, 1000u);
  EXPECT_EQ(before->idle, 800u);
  // 300 more jiffies, 200 of them idle; guest time (inside user already) is not counted twice.
  EXPECT_NEAR(*cpu_utilisation(*before, *after), 100.0 / 3, 1e-9);
  EXPECT_FALSE(cpu_utilisation(*after, *before));   // counters went backwards (not the same boot)
  EXPECT_FALSE(cpu_utilisation(*before, *before));  // no time passed
  EXPECT_EQ(cpu_utilisation({0, 100}, {100, 200}), 0.0);
  EXPECT_EQ(cpu_utilisation({0, 100}, {0, 200}), 100.0);
}

TEST(HostParsers, CpuTimesToleratesOldAndNewKernelsButNotGarbage) {
  EXPECT_EQ(parse_cpu_times("cpu 1 2 3 4\n")->total, 10u);                   // 2.4-era: four columns
  EXPECT_EQ(parse_cpu_times("cpu 1 1 1 1 1 1 1 1 1 1 7 7 7\n")->total, 8u);  // unknown extra columns
  EXPECT_EQ(parse_cpu_times("intr 5\ncpu 1 2 3 4\n")->total, 10u);           // the aggregate line anywhere
  EXPECT_FALSE(parse_cpu_times("cpu0 1 2 3 4\n"));
  EXPECT_FALSE(parse_cpu_times("cpu 1 2"));
  EXPECT_FALSE(parse_cpu_times("cpu 1 2 x 4"));
  EXPECT_FALSE(parse_cpu_times("cpu 18446744073709551615 1 0 0"));  // overflowing sum
  EXPECT_FALSE(parse_cpu_times(""));
}

TEST(HostParsers, MeminfoFromRealFile) {
  const auto real = parse_meminfo(fixture("proc_meminfo.txt"));
  ASSERT_TRUE(real);
  EXPECT_GT(real->total_kb, 0);
  EXPECT_GT(real->available_kb, 0);
  EXPECT_LE(real->available_kb, real->total_kb);
}

TEST(HostParsers, MeminfoFallsBackWithoutMemAvailable) {
  const auto old = parse_meminfo(fixture("proc_meminfo_old_kernel.txt"));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->total_kb, 2048000);
  EXPECT_EQ(old->available_kb, 500000);  // MemFree + Buffers + Cached
  // Neither MemAvailable nor MemFree: a total alone would read as "no memory left".
  EXPECT_FALSE(parse_meminfo("MemTotal: 100 kB\n"));
  EXPECT_FALSE(parse_meminfo("MemFree: 10 kB\n"));
  EXPECT_FALSE(parse_meminfo("garbage"));
  EXPECT_FALSE(parse_meminfo("MemTotal: 0 kB\nMemAvailable: 0 kB\n"));
}

TEST(HostParsers, MeminfoSurvivesHostileNumbers) {
  const auto capped = parse_meminfo("MemTotal: 100 kB\nMemAvailable: 900 kB\n");
  ASSERT_TRUE(capped);
  EXPECT_EQ(capped->available_kb, 100);
  const auto huge = parse_meminfo(
      "MemTotal: 9223372036854775807 kB\nMemFree: 9223372036854775807 kB\nCached: 9223372036854775807 kB\n");
  ASSERT_TRUE(huge);  // saturates instead of overflowing
  EXPECT_EQ(huge->available_kb, huge->total_kb);
  EXPECT_FALSE(parse_meminfo("MemTotal: 99999999999999999999 kB\nMemFree: 1 kB\n"));
  EXPECT_FALSE(parse_meminfo("MemTotal: 100 MB\nMemFree: 1 kB\n"));  // not the unit the kernel uses
  const auto cut = parse_meminfo("MemTotal: 100 kB\nMemFree: 40 kB\nMemAvail");
  ASSERT_TRUE(cut);
  EXPECT_EQ(cut->available_kb, 40);
}

TEST(HostParsers, MountsFromRealFile) {
  const auto mounts = parse_mounts(fixture("proc_mounts.txt"));
  ASSERT_FALSE(mounts.empty());
  bool root = false;
  for (const auto& mount : mounts) {
    EXPECT_EQ(mount.mount_point.front(), '/');
    root = root || mount.mount_point == "/";
  }
  EXPECT_TRUE(root);
  const auto disks = disk_mounts(mounts);
  ASSERT_EQ(disks.size(), 1u);  // proc, sysfs, tmpfs, cgroup... are all left out
  EXPECT_EQ(disks[0].mount_point, "/");
  EXPECT_EQ(disks[0].fs_type, "ext4");
}

TEST(HostParsers, MountsUnescapeAndSkipGarbage) {
  const auto mounts = parse_mounts(fixture("proc_mounts_escaped.txt"));
  ASSERT_EQ(mounts.size(), 4u);
  EXPECT_EQ(mounts[1].mount_point, "/mnt/my disk");
  EXPECT_EQ(mounts[1].fs_type, "xfs");
  const auto odd =
      parse_mounts("a\\134b /x\\011y\\012z\\ ext4\nx /tab\\777 ext4\nx /end\\04 ext4\nx relative ext4\n");
  ASSERT_EQ(odd.size(), 3u);
  EXPECT_EQ(odd[0].device, "a\\b");
  EXPECT_EQ(odd[0].mount_point, "/x\ty\nz\\");
  EXPECT_EQ(odd[1].mount_point, "/tab\\777");  // not an escape the kernel writes: kept
  EXPECT_EQ(odd[2].mount_point, "/end\\04");
}

TEST(HostParsers, DiskMountsFilterAndDeduplicate) {
  const std::vector<MountEntry> mounts = {
      {"/dev/sda1", "/", "ext4"},
      {"tmpfs", "/run", "tmpfs"},
      {"/dev/sda1", "/srv/bind", "ext4"},
      {"server:/export", "/mnt/nfs", "nfs4"},
      {"sshfs#x", "/mnt/ssh", "fuse.sshfs"},
      {"/dev/loop0", "/snap/core/1", "squashfs"},
      {"/dev/sdb1", "/data", "xfs"},
      {"cgroup2", "/sys/fs/cgroup", "cgroup2"},
      {"/dev/sdc1", "/win", "fuseblk"},
      {"overlay", "/var/lib/docker/overlay2/x/merged", "overlay"},
  };
  const auto disks = disk_mounts(mounts);
  ASSERT_EQ(disks.size(), 3u);
  EXPECT_EQ(disks[0].mount_point, "/");
  EXPECT_EQ(disks[1].mount_point, "/data");
  EXPECT_EQ(disks[2].mount_point, "/win");
  // In a container the root is an overlay, and it is the only disk there is.
  const auto container = disk_mounts({{"overlay", "/", "overlay"}, {"proc", "/proc", "proc"}});
  ASSERT_EQ(container.size(), 1u);
  EXPECT_EQ(container[0].mount_point, "/");
  std::vector<MountEntry> many;
  for (int i = 0; i < 100; ++i)
    many.push_back({"/dev/d" + std::to_string(i), "/m" + std::to_string(i), "ext4"});
  EXPECT_EQ(disk_mounts(many).size(), protocol::kMaxDisks);
}

TEST(HostParsers, PseudoAndNetworkFilesystems) {
  for (const char* type : {"proc", "sysfs", "tmpfs", "devtmpfs", "cgroup", "cgroup2", "overlay", "squashfs",
                           "rootfs", "nsfs", "bpf", "tracefs", "autofs"}) {
    EXPECT_TRUE(is_pseudo_filesystem(type)) << type;
  }
  for (const char* type : {"ext4", "xfs", "btrfs", "zfs", "vfat", "fuseblk", "nfs"}) {
    EXPECT_FALSE(is_pseudo_filesystem(type)) << type;
  }
  for (const char* type : {"nfs", "nfs4", "cifs", "fuse.sshfs", "ceph", "9p"}) {
    EXPECT_TRUE(is_network_filesystem(type)) << type;
  }
  EXPECT_FALSE(is_network_filesystem("ext4"));
  EXPECT_FALSE(is_network_filesystem("fuseblk"));
}

TEST(HostParsers, OsRelease) {
  EXPECT_EQ(parse_os_release(fixture("os_release.txt")), "Debian GNU/Linux 12 (bookworm)");
  EXPECT_EQ(parse_os_release("NAME=\"Foo\"\nVERSION=\"1 (x)\"\n"), "Foo 1 (x)");
  EXPECT_EQ(parse_os_release("NAME=Foo\n"), "Foo");
  EXPECT_EQ(parse_os_release("PRETTY_NAME=\"My \\\"OS\\\" \\$1\"\n"), "My \"OS\" $1");
  EXPECT_EQ(parse_os_release("PRETTY_NAME='it\\s'\n"), "it\\s");  // single quotes: backslash literal
  EXPECT_EQ(parse_os_release("# PRETTY_NAME=no\nPRETTY_NAME=\"\"\nNAME=Bar\r\n"), "Bar");
  EXPECT_EQ(parse_os_release("PRETTY_NAME=\"" + std::string(1000, 'x') + "\"").size(), 256u);
  EXPECT_EQ(parse_os_release(""), "");
}

TEST(HostParsers, PrefixLength) {
  EXPECT_EQ(prefix_length(0xFFFFFF00u), 24);
  EXPECT_EQ(prefix_length(0xFFFFFFFFu), 32);
  EXPECT_EQ(prefix_length(0), 0);
}

}  // namespace
}  // namespace balctl::agent::collectors
