// The host collector's thin readers: a fixture /proc tree (so values are known), a real one (so the
// readers work on this machine), and the text helpers they share with the HAProxy collectors.
#include "agent/collectors/host_collector.hpp"

#include <chrono>
#include <sys/stat.h>
#include <thread>

#include <gtest/gtest.h>

#include "agent/collectors/text.hpp"
#include "common/version.hpp"
#include "unit/agent/collectors/fixtures.hpp"

namespace balctl::agent::collectors {
namespace {

using test::fixture;
using test::ScratchDir;

class FixtureHost : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("proc/uptime", "100.5 200.1\n");
    dir_.write("proc/loadavg", "0.50 0.25 0.10 1/100 1234\n");
    dir_.write("proc/stat", "cpu  100 0 100 700 100 0 0 0 0 0\n");
    dir_.write("proc/meminfo", fixture("proc_meminfo_old_kernel.txt"));
    dir_.write("proc/self/mounts", "/dev/root / ext4 rw 0 0\ntmpfs /run tmpfs rw 0 0\n");
    dir_.write("etc/os-release", "PRETTY_NAME=\"Fixture OS 1\"\n");
  }
  HostCollector collector() const { return HostCollector(dir_.path() / "proc", dir_.path() / "etc"); }

  ScratchDir dir_;
};

TEST_F(FixtureHost, FillsEveryFieldAndCpuFromTheSecondSample) {
  auto host = collector();
  protocol::Heartbeat hb;
  host.collect(hb);
  EXPECT_TRUE(host.failures().empty()) << host.failures().front();
  EXPECT_EQ(hb.agent_version, kVersion);
  EXPECT_FALSE(hb.hostname.empty());
  EXPECT_EQ(hb.uptime_s, 100.5);
  ASSERT_TRUE(hb.load);
  EXPECT_EQ((*hb.load)[0], 0.5);
  EXPECT_FALSE(hb.cpu_pct) << "a share needs two samples";
  ASSERT_TRUE(hb.memory);
  EXPECT_EQ(hb.memory->available_kb, 500000);
  ASSERT_EQ(hb.disks.size(), 1u);  // tmpfs is left out; "/" is statvfs'd for real
  EXPECT_EQ(hb.disks[0].mount, "/");
  EXPECT_GT(hb.disks[0].total_bytes, 0);
  EXPECT_LE(hb.disks[0].used_bytes, hb.disks[0].total_bytes);
  EXPECT_FALSE(hb.kernel.empty());
  EXPECT_EQ(hb.os, "Fixture OS 1");

  dir_.write("proc/stat", "cpu  150 0 150 850 150 0 0 0 0 0\n");
  host.collect(hb);
  ASSERT_TRUE(hb.cpu_pct);
  EXPECT_NEAR(*hb.cpu_pct, 100.0 / 3, 1e-9);
}

TEST_F(FixtureHost, AMissingSourceLeavesItsFieldAbsent) {
  auto host = collector();
  protocol::Heartbeat hb;
  host.collect(hb);
  std::filesystem::remove(dir_.path() / "proc/stat");
  std::filesystem::remove(dir_.path() / "proc/meminfo");
  dir_.write("proc/loadavg", "garbage");
  host.collect(hb);
  EXPECT_FALSE(hb.cpu_pct);
  EXPECT_FALSE(hb.memory);
  EXPECT_FALSE(hb.load);
  EXPECT_EQ(hb.uptime_s, 100.5);  // the rest of the sample is unharmed
  ASSERT_EQ(host.failures().size(), 2u);
  EXPECT_NE(host.failures()[0].find("stat"), std::string::npos);
  // The sample after a gap has no CPU figure either: a share across the gap is not "since last time".
  dir_.write("proc/stat", "cpu  150 0 150 850 150 0 0 0 0 0\n");
  host.collect(hb);
  EXPECT_FALSE(hb.cpu_pct);
}

TEST(HostCollector, NothingReadableStillGivesAHeartbeat) {
  ScratchDir empty;
  HostCollector host(empty.path() / "proc", empty.path() / "etc");
  protocol::Heartbeat hb;
  host.collect(hb);
  EXPECT_FALSE(hb.uptime_s || hb.load || hb.cpu_pct || hb.memory);
  EXPECT_TRUE(hb.disks.empty());
  EXPECT_TRUE(hb.os.empty());
  EXPECT_GE(host.failures().size(), 5u);
  EXPECT_FALSE(hb.hostname.empty());
}

TEST(HostCollector, RealMachine) {
  HostCollector host;
  protocol::Heartbeat hb;
  host.collect(hb);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // /proc/stat counts in 10 ms jiffies
  host.collect(hb);
  EXPECT_TRUE(hb.uptime_s && hb.load && hb.memory);
  ASSERT_TRUE(hb.cpu_pct);
  EXPECT_GE(*hb.cpu_pct, 0);
  EXPECT_LE(*hb.cpu_pct, 100);
  EXPECT_FALSE(hb.disks.empty());
  EXPECT_FALSE(hb.os.empty());
}

TEST(HostCollector, InterfaceAddressesSkipLoopback) {
  for (const auto& address : interface_addresses()) {
    EXPECT_NE(address.address.rfind("127.", 0), 0u) << address.interface;
    EXPECT_FALSE(address.interface.empty());
    EXPECT_GE(address.prefix_length, 0);
    EXPECT_LE(address.prefix_length, 32);
  }
}

TEST(HostCollector, DiskUsageSkipsWhatCannotBeQueried) {
  const auto disks = disk_usage({{"/dev/x", "/nonexistent/mount", "ext4"}, {"/dev/y", "/", "ext4"}});
  ASSERT_EQ(disks.size(), 1u);
  EXPECT_EQ(disks[0].mount, "/");
}

TEST(TextFile, ReadsProcFilesAndRefusesWhatIsNotARegularFile) {
  const auto stat = read_text_file("/proc/self/stat");  // st_size is 0 for /proc files
  ASSERT_TRUE(stat.ok()) << stat.error().message;
  EXPECT_FALSE(stat->empty());

  ScratchDir dir;
  const auto fifo = dir / "fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto from_fifo = read_text_file(fifo);  // must not block waiting for a writer
  ASSERT_FALSE(from_fifo.ok());
  EXPECT_NE(from_fifo.error().message.find("not a regular file"), std::string::npos);
  EXPECT_FALSE(read_text_file(dir.path().string()).ok());

  const auto missing = read_text_file(dir / "missing");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find(dir / "missing"), std::string::npos);

  const auto big = dir.write("big", std::string(5000, 'x'));
  EXPECT_EQ(read_text_file(big, 5000)->size(), 5000u);
  const auto too_big = read_text_file(big, 4999);
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.error().message.find("larger than"), std::string::npos);
}

TEST(CleanText, KeepsValidUtf8AndReplacesTheRest) {
  EXPECT_EQ(clean_text("plain /mnt/disk"), "plain /mnt/disk");
  EXPECT_EQ(clean_text("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  EXPECT_EQ(clean_text("a\tb\nc\x7f"), "a?b?c?");
  EXPECT_EQ(clean_text("bad \xFF\xC3 end"), "bad ?? end");
  EXPECT_EQ(clean_text("\xC0\xAF"), "??");            // overlong '/'
  EXPECT_EQ(clean_text("\xED\xA0\x80"), "???");       // a UTF-16 surrogate
  EXPECT_EQ(clean_text("\xF4\x90\x80\x80"), "????");  // above U+10FFFF
  EXPECT_EQ(clean_text(std::string("a\0b", 3)), "a?b");
  EXPECT_EQ(clean_text("abcdef", 4), "abcd");
  EXPECT_EQ(clean_text("ab\xE2\x82\xAC", 4), "ab");  // a sequence is never cut in half
}

}  // namespace
}  // namespace balctl::agent::collectors
