// Talks to a real HAProxy started by the test: stats socket queries, the state probe in pidfile mode and
// the exit watch that lets the agent report a dead HAProxy at once.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "agent/collectors/haproxy_collector.hpp"
#include "agent/collectors/haproxy_socket.hpp"
#include "agent/collectors/haproxy_state.hpp"
#include "common/files.hpp"
#include "unit/support/temp_dir.hpp"

namespace balctl::agent::collectors {
namespace {

using namespace std::chrono_literals;

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

class LiveHaproxy : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = (dir_.path() / "admin.sock").string();
    pidfile_ = (dir_.path() / "haproxy.pid").string();
    const auto config = dir_.path() / "haproxy.cfg";
    std::ofstream(config) << "global\n  stats socket " << socket_ << " mode 600 level admin\n"
                          << "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n"
                          << "frontend fe_test\n  bind 127.0.0.1:" << free_port() << "\n  default_backend be_test\n"
                          << "backend be_test\n  server s1 127.0.0.1:" << free_port() << " check inter 500ms\n";
    // Master-worker mode in the foreground, as systemd runs it: the pidfile names the master. Its own
    // process group lets TearDown kill master and worker together.
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      ::execlp("haproxy", "haproxy", "-W", "-db", "-f", config.c_str(), "-p", pidfile_.c_str(), nullptr);
      ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!query_stats_socket(socket_, "show info", 200ms).ok() || !files::read(pidfile_).ok()) {
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "haproxy did not start";
      std::this_thread::sleep_for(20ms);
    }
  }

  void TearDown() override { kill_haproxy(); }

  void kill_haproxy() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  testing::TempDir dir_;
  std::string socket_;
  std::string pidfile_;
  pid_t pid_ = -1;
};

TEST_F(LiveHaproxy, CollectorReadsVersionAndRows) {
  const auto stats = read_haproxy_stats(socket_, 500ms);
  EXPECT_TRUE(stats.answered);
  EXPECT_TRUE(stats.detail.empty()) << stats.detail;
  EXPECT_FALSE(stats.version.empty());
  ASSERT_GE(stats.rows.size(), 3u);
  EXPECT_EQ(stats.rows[0].proxy, "fe_test");
  EXPECT_EQ(stats.rows[0].type, "frontend");
}

TEST_F(LiveHaproxy, ProbeSeesRunningThenStoppedAtOnceThroughThePidfd) {
  HaproxyStateProbe probe({"haproxy.service", pidfile_, "/proc", false});
  EXPECT_EQ(probe.probe(), protocol::HaproxyState::running);
  const int watch = probe.exit_watch_fd();
  ASSERT_GE(watch, 0) << "pidfd_open is available on Linux >= 5.3";
  pollfd before{watch, POLLIN, 0};
  EXPECT_EQ(::poll(&before, 1, 0), 0);
  const auto killed_at = std::chrono::steady_clock::now();
  ::kill(pid_, SIGKILL);  // the master, named by the pidfile
  pollfd after{watch, POLLIN, 0};
  ASSERT_EQ(::poll(&after, 1, 2000), 1);
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, 500ms);
  // Not reaped yet: a zombie must not count as running.
  EXPECT_EQ(probe.probe(), protocol::HaproxyState::stopped);
  EXPECT_NE(probe.detail().find("no live haproxy"), std::string::npos);
  kill_haproxy();
  EXPECT_EQ(probe.probe(), protocol::HaproxyState::stopped);
}

TEST_F(LiveHaproxy, ProcessScanFindsHaproxyWithoutAPidfile) {
  HaproxyStateProbe probe({"haproxy.service", "", "/proc", false});
  EXPECT_EQ(probe.probe(), protocol::HaproxyState::running);
  EXPECT_GE(probe.exit_watch_fd(), 0);
  const auto ours = pid_;
  kill_haproxy();
  // Other tests may run their own HAProxy at the same time; only require that ours is no longer found.
  probe.probe();
  EXPECT_EQ(probe.detail().find("process " + std::to_string(ours) + " "), std::string::npos);
}

TEST(StatsSocket, ErrorsSayWhichSocketAndWhy) {
  testing::TempDir dir;
  const auto missing = query_stats_socket((dir.path() / "none.sock").string(), "show info", 200ms);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("none.sock"), std::string::npos);
  EXPECT_NE(missing.error().message.find("no such file"), std::string::npos);
  EXPECT_FALSE(query_stats_socket(std::string(200, 'x'), "show info", 200ms).ok());
  const auto stats = read_haproxy_stats((dir.path() / "none.sock").string(), 200ms);
  EXPECT_FALSE(stats.answered);
  EXPECT_NE(stats.detail.find("none.sock"), std::string::npos);
}

TEST(StatsSocket, ASilentPeerTimesOut) {
  testing::TempDir dir;
  const auto path = (dir.path() / "silent.sock").string();
  const int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener, 1), 0);
  const auto started = std::chrono::steady_clock::now();
  const auto reply = query_stats_socket(path, "show info", 300ms);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  ::close(listener);
  ASSERT_FALSE(reply.ok());
  EXPECT_NE(reply.error().message.find("timed out"), std::string::npos);
  EXPECT_LT(elapsed, 1s);
}

}  // namespace
}  // namespace balctl::agent::collectors
