#include <gtest/gtest.h>

#include "agent/collectors/host_parsers.hpp"
#include "unit/agent/fixtures.hpp"

namespace balctl::agent::collectors {
namespace {

using testing::fixture;

TEST(HostParsers, UptimeAndLoadFromRealFiles) {
  const auto uptime = parse_uptime(fixture("proc_uptime.txt"));
  ASSERT_TRUE(uptime);
  EXPECT_GT(*uptime, 0);
  const auto load = parse_loadavg(fixture("proc_loadavg.txt"));
  ASSERT_TRUE(load);
  EXPECT_GE((*load)[0], 0);
}

TEST(HostParsers, UptimeAndLoadRejectGarbage) {
  EXPECT_FALSE(parse_uptime(""));
  EXPECT_FALSE(parse_uptime("abc 12"));
  EXPECT_FALSE(parse_uptime("-5 1"));
  EXPECT_EQ(parse_uptime("12.5 99"), 12.5);
  EXPECT_FALSE(parse_loadavg("0.1 0.2"));
  EXPECT_FALSE(parse_loadavg("0.1 x 0.3 1/2 3"));
  EXPECT_EQ((*parse_loadavg("1.5 0.5 0.25 2/300 4000"))[0], 1.5);
}

TEST(HostParsers, CpuTimesAndUtilisation) {
  const auto real = parse_cpu_times(fixture("proc_stat.txt"));
  ASSERT_TRUE(real);
  EXPECT_GT(real->total, real->idle);
  const auto before = parse_cpu_times("cpu  100 0 100 700 100 0 0 0 0 0\ncpu0 1 2 3 4\n");
  const auto after = parse_cpu_times("cpu  150 0 150 850 150 0 0 0 50 0\n");
  ASSERT_TRUE(before && after);
  EXPECT_EQ(before->total, 1000u);
  EXPECT_EQ(before->idle, 800u);
  // 300 more jiffies, 200 of them idle (guest time is not counted twice).
  EXPECT_NEAR(*cpu_utilisation(*before, *after), 100.0 / 3, 1e-9);
  EXPECT_FALSE(cpu_utilisation(*after, *before));
  EXPECT_FALSE(cpu_utilisation(*before, *before));
  EXPECT_FALSE(parse_cpu_times("cpu0 1 2 3 4\n"));
  EXPECT_FALSE(parse_cpu_times("cpu 1 2"));
  EXPECT_FALSE(parse_cpu_times("cpu 1 2 x 4"));
  EXPECT_FALSE(parse_cpu_times(""));
}

TEST(HostParsers, Meminfo) {
  const auto real = parse_meminfo(fixture("proc_meminfo.txt"));
  ASSERT_TRUE(real);
  EXPECT_GT(real->total_kb, 0);
  EXPECT_LE(real->available_kb, real->total_kb);
  const auto old = parse_meminfo(fixture("proc_meminfo_old_kernel.txt"));
  ASSERT_TRUE(old);
  EXPECT_EQ(old->available_kb, 500000);  // MemFree + Buffers + Cached
  EXPECT_FALSE(parse_meminfo("MemFree: 10 kB\n"));
  EXPECT_FALSE(parse_meminfo("garbage"));
  const auto truncated = parse_meminfo("MemTotal: 100 kB\nMemAvail");
  ASSERT_TRUE(truncated);
  EXPECT_EQ(truncated->total_kb, 100);
}

TEST(HostParsers, MountsUnescapeAndSkipGarbage) {
  const auto mounts = parse_mounts(fixture("proc_mounts_escaped.txt"));
  ASSERT_EQ(mounts.size(), 4u);
  EXPECT_EQ(mounts[1].mount_point, "/mnt/my disk");
  EXPECT_EQ(mounts[1].fs_type, "xfs");
  EXPECT_TRUE(is_pseudo_filesystem(mounts[2].fs_type));
  EXPECT_FALSE(is_pseudo_filesystem("ext4"));
  EXPECT_FALSE(is_pseudo_filesystem("xfs"));
  const auto real = parse_mounts(fixture("proc_mounts.txt"));
  EXPECT_FALSE(real.empty());
  EXPECT_EQ(real.front().mount_point.front(), '/');
}

TEST(HostParsers, OsRelease) {
  EXPECT_NE(parse_os_release(fixture("os_release.txt")).find("Debian"), std::string::npos);
  EXPECT_EQ(parse_os_release("NAME=\"Foo\"\nVERSION=\"1 (x)\"\n"), "Foo 1 (x)");
  EXPECT_EQ(parse_os_release("PRETTY_NAME='My \\\"OS\\\"'\n"), "My \"OS\"");
  EXPECT_EQ(parse_os_release(""), "");
}

}  // namespace
}  // namespace balctl::agent::collectors
