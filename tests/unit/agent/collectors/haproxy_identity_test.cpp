// Which HAProxy is ours (issue 13, 3b): a pidfile or the stats socket names it, and a process merely
// called "haproxy" is taken only when neither is configured; a running HAProxy whose socket gives
// nothing is degraded ("stats unavailable"), not healthy-looking with an empty table.
#include <filesystem>

#include <gtest/gtest.h>

#include "agent/collectors/haproxy_collector.hpp"
#include "agent/collectors/haproxy_state.hpp"
#include "unit/agent/collectors/fake_stats_socket.hpp"
#include "unit/agent/collectors/fixtures.hpp"

namespace balctl::agent::collectors {
namespace {

using namespace std::chrono_literals;
using protocol::HaproxyState;
using test::FakeStatsSocket;
using test::ScratchDir;

// PIDs far above any real one here, so the pidfd the probe opens never watches a real process.
constexpr int kMaster = 4'000'100;
constexpr int kWorker = 4'000'101;
constexpr int kStranger = 4'000'200;  // someone else's haproxy on the same host

class Identity : public ::testing::Test {
 protected:
  void SetUp() override {
    process(kMaster, "haproxy", 1);
    process(kWorker, "haproxy", kMaster);
    process(kStranger, "haproxy", 1);
    const auto binary = dir_.write("bin/haproxy", "#!/bin/sh\n");
    std::filesystem::permissions(binary, std::filesystem::perms::owner_all);
  }
  void process(int pid, const std::string& comm, int parent) {
    dir_.write("proc/" + std::to_string(pid) + "/stat",
               std::to_string(pid) + " (" + comm + ") S " + std::to_string(parent) + " 1 1 0\n");
  }
  StateProbeSettings settings(std::string pidfile, std::string socket, bool scan_by_name) const {
    StateProbeSettings s;
    s.pidfile = std::move(pidfile);
    s.proc_root = dir_ / "proc";
    s.use_systemd = false;
    s.binaries = {dir_ / "bin/haproxy"};
    s.stats_socket = std::move(socket);
    s.scan_by_name = scan_by_name;
    return s;
  }
  std::string info_naming(int pid) const {
    return "Name: HAProxy\nVersion: 2.6.12\nPid: " + std::to_string(pid) + "\nUptime_sec: 7\n";
  }

  ScratchDir dir_;
};

TEST_F(Identity, TheStatsSocketNamesTheProcessAndItsMasterIsWatched) {
  FakeStatsSocket socket(dir_ / "admin.sock", {{"show info", info_naming(kWorker)}});
  HaproxyStateProbe probe(settings("", dir_ / "admin.sock", false));
  EXPECT_EQ(probe.probe(), HaproxyState::running);
  EXPECT_EQ(probe.found_by(), "stats socket " + (dir_ / "admin.sock"));
  // The master outlives reloads (the worker is replaced at each), so it is the one kept.
  EXPECT_NE(probe.detail().find("process " + std::to_string(kMaster) + " is haproxy"), std::string::npos)
      << probe.detail();
  // Known now: the socket is not asked again while that process lives.
  const auto asked = socket.commands().size();
  EXPECT_EQ(probe.probe(), HaproxyState::running);
  EXPECT_EQ(socket.commands().size(), asked);
}

TEST_F(Identity, AConfiguredSocketThatNamesNothingIsNeverReplacedByAGuessByName) {
  HaproxyStateProbe probe(settings("", dir_ / "wrong.sock", false));
  EXPECT_EQ(probe.probe(), HaproxyState::stopped);  // although kStranger is called haproxy
  EXPECT_EQ(probe.found_by(), "");
  EXPECT_NE(probe.detail().find("not guessing by process name"), std::string::npos) << probe.detail();
  EXPECT_NE(probe.detail().find("wrong.sock: no such file"), std::string::npos) << probe.detail();
}

TEST_F(Identity, WithNothingConfiguredAProcessCalledHaproxyIsTakenAndSaysSo) {
  HaproxyStateProbe probe(settings("", dir_ / "wrong.sock", true));
  EXPECT_EQ(probe.probe(), HaproxyState::running);
  EXPECT_EQ(probe.found_by(), "process name");
}

TEST_F(Identity, APidfileWinsOverEveryOtherHaproxyOnTheHost) {
  const auto pidfile = dir_.write("haproxy.pid", std::to_string(kMaster) + "\n");
  FakeStatsSocket socket(dir_ / "admin.sock", {{"show info", info_naming(kStranger)}});
  HaproxyStateProbe probe(settings(pidfile, dir_ / "admin.sock", false));
  EXPECT_EQ(probe.probe(), HaproxyState::running);
  EXPECT_EQ(probe.found_by(), "pidfile " + pidfile);
  EXPECT_NE(probe.detail().find(std::to_string(kMaster)), std::string::npos);
  std::filesystem::remove_all(dir_.path() / "proc" / std::to_string(kMaster));
  EXPECT_EQ(probe.probe(), HaproxyState::stopped);  // ours died; the stranger is not adopted
  EXPECT_TRUE(socket.commands().empty());           // with a pidfile the socket is not asked who it is
}

TEST(StatsError, OnlyARunningHaproxyThatDidNotAnswerIsDegraded) {
  HaproxyStats mute;
  mute.detail = "stats socket /x.sock: permission denied";
  EXPECT_EQ(stats_error_for(HaproxyState::running, mute), "stats socket /x.sock: permission denied");
  EXPECT_EQ(stats_error_for(HaproxyState::stopped, mute), "");
  EXPECT_EQ(stats_error_for(HaproxyState::running, HaproxyStats{}), "the stats socket gave no reply");
  HaproxyStats answered;
  answered.answered = true;
  answered.detail = "show stat: 1 malformed rows skipped";
  EXPECT_EQ(stats_error_for(HaproxyState::running, answered), "");
}

TEST_F(Identity, TheReportOfARunningHaproxyWithAWrongSocketSaysStatsUnavailableAndHowItWasFound) {
  const auto pidfile = dir_.write("haproxy.pid", std::to_string(kMaster) + "\n");
  HaproxyStateProbe probe(settings(pidfile, dir_ / "wrong.sock", false));
  const auto report = collect_haproxy(probe, dir_ / "wrong.sock", 200ms);
  EXPECT_EQ(report.state, HaproxyState::running);
  EXPECT_EQ(report.stats_error, "stats socket " + (dir_ / "wrong.sock") + ": no such file");
  EXPECT_EQ(report.found_by, "pidfile " + pidfile);
  EXPECT_TRUE(report.rows.empty());
}

}  // namespace
}  // namespace balctl::agent::collectors
