// The cheap HAProxy state probe: its pure decisions, the pidfile and /proc-scan modes on a fixture /proc
// tree, and the systemd mode against a fake systemd speaking real D-Bus (systemd is not PID 1 here).
#include "agent/collectors/haproxy_state.hpp"

#include <chrono>
#include <filesystem>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "agent/collectors/systemd_units.hpp"
#include "unit/agent/collectors/fake_systemd.hpp"
#include "unit/agent/collectors/fixtures.hpp"

namespace balctl::agent::collectors {
namespace {

using namespace std::chrono_literals;
using protocol::HaproxyState;
using test::ScratchDir;

TEST(HaproxyState, SystemdStates) {
  EXPECT_EQ(state_from_systemd("loaded", "active"), HaproxyState::running);
  EXPECT_EQ(state_from_systemd("loaded", "reloading"), HaproxyState::running);
  EXPECT_EQ(state_from_systemd("loaded", "failed"), HaproxyState::stopped);
  EXPECT_EQ(state_from_systemd("loaded", "inactive"), HaproxyState::stopped);
  EXPECT_EQ(state_from_systemd("loaded", "activating"), HaproxyState::stopped);
  EXPECT_EQ(state_from_systemd("loaded", "deactivating"), HaproxyState::stopped);
  EXPECT_EQ(state_from_systemd("masked", "inactive"), HaproxyState::stopped);
  EXPECT_EQ(state_from_systemd("not-found", "inactive"), HaproxyState::absent);
  EXPECT_EQ(state_from_systemd("", ""), HaproxyState::absent);
}

TEST(HaproxyState, ProcStat) {
  EXPECT_TRUE(is_live_haproxy_stat("1234 (haproxy) S 1 1234 1234 0 -1"));
  EXPECT_TRUE(is_live_haproxy_stat("1234 (haproxy) R 1"));
  EXPECT_FALSE(is_live_haproxy_stat("1234 (haproxy) Z 1 1234 1234 0 -1"));
  EXPECT_FALSE(is_live_haproxy_stat("1234 (haproxy) X 1"));
  EXPECT_FALSE(is_live_haproxy_stat("1234 (nginx) S 1"));
  EXPECT_FALSE(is_live_haproxy_stat("1234 (haproxy_exporter) S 1"));
  EXPECT_FALSE(is_live_haproxy_stat("1234 (haproxy (x)) S 1"));
  EXPECT_FALSE(is_live_haproxy_stat("1234 (haproxy)S 1"));
  EXPECT_FALSE(is_live_haproxy_stat("garbage"));
  EXPECT_FALSE(is_live_haproxy_stat("1 (haproxy)"));
  EXPECT_FALSE(is_live_haproxy_stat(")("));
}

TEST(HaproxyState, Pidfile) {
  EXPECT_EQ(parse_pidfile("1234\n"), 1234);
  EXPECT_EQ(parse_pidfile("  77 \r\n88\n"), 77);  // old nbproc pidfiles list one PID per line
  EXPECT_FALSE(parse_pidfile(""));
  EXPECT_FALSE(parse_pidfile("0\n"));
  EXPECT_FALSE(parse_pidfile("-5\n"));
  EXPECT_FALSE(parse_pidfile("12ab\n"));
  EXPECT_FALSE(parse_pidfile("99999999999999999999"));
  EXPECT_FALSE(parse_pidfile("5000000"));  // above PID_MAX_LIMIT
}

// A /proc with made-up processes, and a place for the haproxy binary.
class FakeProc : public ::testing::Test {
 protected:
  void process(int pid, const std::string& comm, char state = 'S') {
    dir_.write("proc/" + std::to_string(pid) + "/stat",
               std::to_string(pid) + " (" + comm + ") " + state + " 1 1 1 0\n");
  }
  void gone(int pid) { std::filesystem::remove_all(dir_.path() / "proc" / std::to_string(pid)); }
  StateProbeSettings settings(std::string pidfile = "") const {
    StateProbeSettings s;
    s.pidfile = std::move(pidfile);
    s.proc_root = dir_ / "proc";
    s.use_systemd = false;
    s.binaries = {dir_ / "bin/haproxy"};
    return s;
  }
  void install_binary() {
    const auto binary = dir_.write("bin/haproxy", "#!/bin/sh\n");
    std::filesystem::permissions(binary, std::filesystem::perms::owner_all);
  }

  ScratchDir dir_;
};

// PIDs far above any real one here, so the pidfd the probe opens never watches a real process.
constexpr int kPid = 4'000'001;

TEST_F(FakeProc, PidfileModeFollowsThePidfile) {
  const auto pidfile = dir_ / "haproxy.pid";
  HaproxyStateProbe probe(settings(pidfile));
  // A configured pidfile says HAProxy belongs here: never "absent", even with no binary found.
  EXPECT_EQ(probe.probe(), HaproxyState::stopped);
  EXPECT_NE(probe.detail().find(pidfile), std::string::npos) << probe.detail();
  EXPECT_NE(probe.detail().find("No such file"), std::string::npos) << probe.detail();

  dir_.write("haproxy.pid", std::to_string(kPid) + "\n");
  process(kPid, "haproxy");
  EXPECT_EQ(probe.probe(), HaproxyState::running);
  EXPECT_NE(probe.detail().find("is haproxy"), std::string::npos);

  process(kPid, "haproxy", 'Z');  // killed, not yet reaped
  EXPECT_EQ(probe.probe(), HaproxyState::stopped);
  EXPECT_NE(probe.detail().find("not a live haproxy"), std::string::npos);

  process(kPid, "bash");  // the PID was reused by something else
  EXPECT_EQ(probe.probe(), HaproxyState::stopped);
  dir_.write("haproxy.pid", "garbage");
  EXPECT_EQ(probe.probe(), HaproxyState::stopped);
  EXPECT_NE(probe.detail().find("holds no PID"), std::string::npos);
  EXPECT_EQ(probe.exit_watch_fd(), -1);
}

TEST_F(FakeProc, ScanModeFindsHaproxyByName) {
  process(kPid, "nginx");
  process(kPid + 1, "haproxy");
  dir_.write("proc/self/stat", "not a pid directory");
  HaproxyStateProbe probe(settings());
  EXPECT_EQ(probe.probe(), HaproxyState::running);
  EXPECT_EQ(probe.detail(), "process " + std::to_string(kPid + 1) + " is haproxy");

  gone(kPid + 1);
  // Not found and no binary installed: absent.
  EXPECT_EQ(probe.probe(), HaproxyState::absent);
  EXPECT_NE(probe.detail().find("no haproxy executable"), std::string::npos);
  install_binary();
  EXPECT_EQ(probe.probe(), HaproxyState::stopped);
}

TEST_F(FakeProc, ScanModeScansAtMostEveryFifthProbeWhileStopped) {
  install_binary();
  HaproxyStateProbe probe(settings());
  EXPECT_EQ(probe.probe(), HaproxyState::stopped);  // scanned
  process(kPid, "haproxy");
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(probe.probe(), HaproxyState::stopped) << i;  // not scanned
  EXPECT_EQ(probe.probe(), HaproxyState::running);
  EXPECT_EQ(probe.probe(), HaproxyState::running);  // the known PID is checked without a scan
}

// A child that sleeps until killed: a real PID for systemd's MainPID.
pid_t start_sleeper() {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::pause();
    ::_exit(0);
  }
  return pid;
}

class SystemdMode : public ::testing::Test {
 protected:
  void TearDown() override {
    if (sleeper_ > 0) {
      ::kill(sleeper_, SIGKILL);
      ::waitpid(sleeper_, nullptr, 0);
    }
  }
  StateProbeSettings settings() const {
    StateProbeSettings s;
    s.systemd_address = fake_->address();
    s.proc_root = dir_ / "proc";
    s.binaries = {dir_ / "bin/haproxy"};
    return s;
  }

  ScratchDir dir_;
  std::unique_ptr<test::FakeSystemd> fake_ =
      std::make_unique<test::FakeSystemd>(dir_ / "systemd.sock", "haproxy.service");
  pid_t sleeper_ = -1;
};

TEST_F(SystemdMode, MapsUnitStates) {
  HaproxyStateProbe probe(settings());
  fake_->set("loaded", "active");
  EXPECT_EQ(probe.probe(), HaproxyState::running);
  EXPECT_EQ(probe.detail(), "systemd haproxy.service: LoadState=loaded ActiveState=active");
  fake_->set("loaded", "failed");
  EXPECT_EQ(probe.probe(), HaproxyState::stopped);
  fake_->set("loaded", "activating");
  EXPECT_EQ(probe.probe(), HaproxyState::stopped);
  fake_->set("not-found", "inactive");
  EXPECT_EQ(probe.probe(), HaproxyState::absent);
}

TEST_F(SystemdMode, WatchesTheMainProcessAndSeesItDieBeforeSystemdDoes) {
  sleeper_ = start_sleeper();
  fake_->set("loaded", "active", static_cast<std::uint32_t>(sleeper_));
  HaproxyStateProbe probe(settings());
  EXPECT_EQ(probe.probe(), HaproxyState::running);
  const int watch = probe.exit_watch_fd();
  ASSERT_GE(watch, 0);
  const int calls = fake_->calls();
  EXPECT_EQ(probe.probe(), HaproxyState::running);
  EXPECT_EQ(fake_->calls() - calls, 2) << "MainPID is not asked again while its process lives";

  ::kill(sleeper_, SIGKILL);
  pollfd exited{watch, POLLIN, 0};
  ASSERT_EQ(::poll(&exited, 1, 2000), 1);
  // systemd (the fake) still says active with the same MainPID: the pidfd knows better.
  EXPECT_EQ(probe.probe(), HaproxyState::stopped);
  EXPECT_NE(probe.detail().find("has exited"), std::string::npos) << probe.detail();
  EXPECT_EQ(probe.exit_watch_fd(), -1) << "a readable pidfd left behind would spin the caller's poll()";
  EXPECT_EQ(probe.probe(), HaproxyState::stopped);

  ::waitpid(sleeper_, nullptr, 0);
  sleeper_ = start_sleeper();  // systemd restarted it
  fake_->set("loaded", "active", static_cast<std::uint32_t>(sleeper_));
  EXPECT_EQ(probe.probe(), HaproxyState::running);
  EXPECT_GE(probe.exit_watch_fd(), 0);
}

TEST_F(SystemdMode, FallsBackToTheProcessCheckWhenSystemdIsGone) {
  HaproxyStateProbe probe(settings());
  EXPECT_EQ(probe.probe(), HaproxyState::running);
  fake_.reset();
  EXPECT_EQ(probe.probe(), HaproxyState::absent);  // no process in the fixture /proc, no binary
  EXPECT_NE(probe.detail().find("systemd D-Bus"), std::string::npos) << probe.detail();
  EXPECT_NE(probe.detail().find("no haproxy process"), std::string::npos) << probe.detail();
}

TEST(SystemdClient, ASilentPeerTimesOutQuickly) {
  ScratchDir dir;
  const auto path = dir / "silent.sock";
  const int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 4), 0);
  SystemdClient client("unix:path=" + path, 150ms);
  const auto started = std::chrono::steady_clock::now();
  const auto state = client.unit_state("haproxy.service");
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ::close(listener);
  ASSERT_FALSE(state.ok());
  EXPECT_LT(elapsed, 1s);
}

TEST(SystemdClient, NotPid1Here) {
  // Documents why the systemd path is tested against a fake: this machine does not boot with systemd.
  if (SystemdClient::systemd_booted()) GTEST_SKIP() << "systemd is PID 1 here";
  HaproxyStateProbe probe(StateProbeSettings{"haproxy.service", "", "/proc", true});
  probe.probe();
  EXPECT_EQ(probe.detail().find("systemd"), std::string::npos) << probe.detail();
}

}  // namespace
}  // namespace balctl::agent::collectors
