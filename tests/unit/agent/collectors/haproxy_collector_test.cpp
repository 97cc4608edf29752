// The HAProxy collector: state probe plus socket queries into one report, with `detail` explaining
// whatever is missing, and one time budget for both queries.
#include "agent/collectors/haproxy_collector.hpp"

#include <chrono>

#include <gtest/gtest.h>

#include "agent/collectors/haproxy_state.hpp"
#include "unit/agent/collectors/fake_stats_socket.hpp"
#include "unit/agent/collectors/fixtures.hpp"

namespace balctl::agent::collectors {
namespace {

using namespace std::chrono_literals;
using test::FakeStatsSocket;
using test::fixture;
using test::ScratchDir;

TEST(HaproxyStats, ReadsInfoAndRows) {
  ScratchDir dir;
  FakeStatsSocket fake(dir / "admin.sock", {{"show info", fixture("haproxy_show_info.txt")},
                                            {"show stat", fixture("haproxy_show_stat.csv")}});
  const auto stats = read_haproxy_stats(dir / "admin.sock", 400ms);
  EXPECT_TRUE(stats.answered);
  EXPECT_EQ(stats.detail, "");
  EXPECT_EQ(stats.version, "2.6.12-1+deb12u4");
  EXPECT_TRUE(stats.uptime_s);
  EXPECT_EQ(stats.rows.size(), 11u);
}

TEST(HaproxyStats, SaysWhatIsMissing) {
  ScratchDir dir;
  const auto missing = read_haproxy_stats(dir / "none.sock", 200ms);
  EXPECT_FALSE(missing.answered);
  EXPECT_EQ(missing.detail, "stats socket " + (dir / "none.sock") + ": no such file");

  FakeStatsSocket fake(dir / "admin.sock", {{"show info", fixture("haproxy_unknown_command.txt")}});
  const auto unknown = read_haproxy_stats(dir / "admin.sock", 200ms);
  EXPECT_FALSE(unknown.answered);
  EXPECT_NE(unknown.detail.find("show info has no Version: unexpected reply \"Unknown command"),
            std::string::npos)
      << unknown.detail;
  EXPECT_LE(unknown.detail.size(), 512u);
}

TEST(HaproxyStats, ReportsCutAndMalformedRows) {
  ScratchDir dir;
  FakeStatsSocket fake(dir / "admin.sock", {{"show info", "Version: 2.6\nUptime_sec: 5\n"},
                                            {"show stat", fixture("haproxy_show_stat_truncated.csv")}});
  const auto stats = read_haproxy_stats(dir / "admin.sock", 400ms);
  EXPECT_EQ(stats.rows.size(), 5u);
  EXPECT_EQ(stats.detail, "show stat: 1 malformed rows skipped");
}

TEST(HaproxyStats, BothQueriesShareOneBudget) {
  ScratchDir dir;
  // "show stat" never answers: the info part still arrives, and the whole read ends with the budget.
  FakeStatsSocket fake(dir / "admin.sock", {{"show info", "Version: 2.6\nUptime_sec: 5\n"}});
  const auto started = std::chrono::steady_clock::now();
  const auto stats = read_haproxy_stats(dir / "admin.sock", 300ms);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_LT(elapsed, 500ms);
  EXPECT_TRUE(stats.answered);
  EXPECT_EQ(stats.version, "2.6");
  EXPECT_EQ(stats.uptime_s, 5);
  EXPECT_TRUE(stats.rows.empty());
  EXPECT_NE(stats.detail.find("timed out"), std::string::npos) << stats.detail;
}

class Collector : public ::testing::Test {
 protected:
  static constexpr int kPid = 4'000'002;
  StateProbeSettings settings() const {
    StateProbeSettings s;
    s.pidfile = dir_ / "haproxy.pid";
    s.proc_root = dir_ / "proc";
    s.use_systemd = false;
    return s;
  }
  void haproxy_running() {
    dir_.write("haproxy.pid", std::to_string(kPid) + "\n");
    dir_.write("proc/" + std::to_string(kPid) + "/stat", std::to_string(kPid) + " (haproxy) S 1\n");
  }

  ScratchDir dir_;
};

TEST_F(Collector, RunningHaproxyGetsItsRows) {
  haproxy_running();
  FakeStatsSocket fake(dir_ / "admin.sock", {{"show info", fixture("haproxy_show_info.txt")},
                                             {"show stat", fixture("haproxy_show_stat.csv")}});
  HaproxyStateProbe probe(settings());
  const auto report = collect_haproxy(probe, dir_ / "admin.sock");
  EXPECT_EQ(report.state, protocol::HaproxyState::running);
  EXPECT_EQ(report.version, "2.6.12-1+deb12u4");
  EXPECT_EQ(report.rows.size(), 11u);
  EXPECT_NE(report.detail.find("is haproxy"), std::string::npos) << report.detail;
}

TEST_F(Collector, RunningWithoutASocketSaysWhy) {
  haproxy_running();
  HaproxyStateProbe probe(settings());
  const auto report = collect_haproxy(probe, dir_ / "admin.sock");
  EXPECT_EQ(report.state, protocol::HaproxyState::running);
  EXPECT_TRUE(report.rows.empty());
  EXPECT_EQ(report.detail.rfind("stats socket " + (dir_ / "admin.sock") + ": no such file", 0), 0u)
      << report.detail;
}

TEST_F(Collector, StoppedHaproxyIsNotAsked) {
  FakeStatsSocket fake(dir_ / "admin.sock", {{"show info", "Version: 2.6\n"}});
  HaproxyStateProbe probe(settings());
  const auto report = collect_haproxy(probe, dir_ / "admin.sock");
  EXPECT_EQ(report.state, protocol::HaproxyState::stopped);
  EXPECT_TRUE(report.version.empty());
  EXPECT_TRUE(fake.commands().empty());
  EXPECT_NE(report.detail.find("haproxy.pid"), std::string::npos) << report.detail;
}

}  // namespace
}  // namespace balctl::agent::collectors
