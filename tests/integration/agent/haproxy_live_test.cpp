// Against a real HAProxy (Debian's /usr/sbin/haproxy) started by the test in master-worker mode, as the
// Debian unit runs it: the stats socket client and the collector end to end, then the pidfile probe
// seeing it stop. The HAProxy always dies with the test: SIGTERM (then SIGKILL) in TearDown, and
// PR_SET_PDEATHSIG if the test process itself dies first.
#include <chrono>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

#include "agent/collectors/haproxy_collector.hpp"
#include "agent/collectors/haproxy_socket.hpp"
#include "agent/collectors/haproxy_state.hpp"
#include "unit/agent/collectors/fixtures.hpp"

namespace balctl::agent::collectors {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kHaproxy = "/usr/sbin/haproxy";

// HAProxy cannot bind port 0, so take a free port from the kernel and hand it over.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    return -1;
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

// One plain HTTP request, so the frontend's byte counters move.
void http_get(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    const std::string request = "GET / HTTP/1.0\r\n\r\n";
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    char buffer[512];
    while (::recv(fd, buffer, sizeof buffer, 0) > 0) {
    }
  }
  ::close(fd);
}

const protocol::HaproxyRow* find_row(const std::vector<protocol::HaproxyRow>& rows, std::string_view proxy,
                                     std::string_view service) {
  for (const auto& row : rows) {
    if (row.proxy == proxy && row.service == service) return &row;
  }
  return nullptr;
}

class LiveHaproxy : public ::testing::Test {
 protected:
  // HAProxy's worker outlives a SIGKILLed master for a moment; as a subreaper we collect it.
  static void SetUpTestSuite() { ::prctl(PR_SET_CHILD_SUBREAPER, 1); }

  void SetUp() override {
    if (::access(kHaproxy, X_OK) != 0) GTEST_SKIP() << "no " << kHaproxy;
    socket_ = dir_ / "admin.sock";
    pidfile_ = dir_ / "haproxy.pid";
    frontend_port_ = free_port();
    const int web = free_port();
    const int closed = free_port();
    const auto config = dir_.write(
        "haproxy.cfg",
        "global\n  stats socket " + socket_ +
            " mode 600 level admin\n"
            "defaults\n  mode http\n  timeout connect 1s\n  timeout client 5s\n  timeout server 5s\n"
            "frontend fe_http\n  bind 127.0.0.1:" +
            std::to_string(frontend_port_) +
            "\n  default_backend be_app\n"
            "backend be_app\n"
            "  server app_up 127.0.0.1:" +
            std::to_string(web) +
            " check inter 100ms rise 1\n"
            "  server app_down 127.0.0.1:" +
            std::to_string(closed) +
            " check inter 100ms fall 1\n"
            "listen web_listen\n  bind 127.0.0.1:" +
            std::to_string(web) +
            "\n"
            "  http-request return status 200 content-type text/plain string ok\n");
    const auto log = dir_ / "haproxy.log";
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(126);  // the test died before prctl took effect
      const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
      ::execl(kHaproxy, "haproxy", "-W", "-db", "-f", config.c_str(), "-p", pidfile_.c_str(), nullptr);
      ::_exit(127);
    }
    ASSERT_GT(pid_, 0);
    const auto deadline = Clock::now() + 10s;
    while (!query_stats_socket(socket_, "show info", 200ms).ok() || ::access(pidfile_.c_str(), R_OK) != 0) {
      ASSERT_LT(Clock::now(), deadline) << "haproxy did not start: " << test::file_or_empty(log);
      ASSERT_EQ(::waitpid(pid_, nullptr, WNOHANG), 0) << "haproxy exited: " << test::file_or_empty(log);
      std::this_thread::sleep_for(20ms);
    }
  }

  void TearDown() override { stop_haproxy(SIGTERM); }

  // Stops the master (SIGTERM lets it stop its worker; SIGKILL after 3 s) and reaps everything.
  void stop_haproxy(int signal) {
    if (pid_ > 0) {
      ::kill(pid_, signal);
      const auto deadline = Clock::now() + 3s;
      while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
        if (Clock::now() > deadline) {
          ::kill(pid_, SIGKILL);
          ::waitpid(pid_, nullptr, 0);
          break;
        }
        std::this_thread::sleep_for(10ms);
      }
      pid_ = -1;
    }
    reap_orphans();
  }

  static void reap_orphans() {
    const auto deadline = Clock::now() + 2s;
    while (Clock::now() < deadline) {
      const pid_t reaped = ::waitpid(-1, nullptr, WNOHANG);
      if (reaped < 0) return;  // no children left
      if (reaped == 0) std::this_thread::sleep_for(10ms);
    }
  }

  // Waits until the health checks have settled: app_up UP, app_down DOWN.
  HaproxyStats settled_stats() {
    HaproxyStats stats;
    const auto deadline = Clock::now() + 5s;
    while (Clock::now() < deadline) {
      stats = read_haproxy_stats(socket_, 400ms);
      const auto* up = find_row(stats.rows, "be_app", "app_up");
      const auto* down = find_row(stats.rows, "be_app", "app_down");
      if (up != nullptr && down != nullptr && up->status == "UP" && down->status == "DOWN") break;
      std::this_thread::sleep_for(50ms);
    }
    return stats;
  }

  test::ScratchDir dir_;
  std::string socket_;
  std::string pidfile_;
  int frontend_port_ = 0;
  pid_t pid_ = -1;
};

TEST_F(LiveHaproxy, SocketClientAndCollectorEndToEnd) {
  http_get(frontend_port_);
  const auto stats = settled_stats();
  EXPECT_TRUE(stats.answered);
  EXPECT_EQ(stats.detail, "");
  EXPECT_EQ(stats.version.rfind("2.", 0), 0u) << stats.version;
  EXPECT_TRUE(stats.uptime_s);

  const auto* frontend = find_row(stats.rows, "fe_http", "FRONTEND");
  ASSERT_NE(frontend, nullptr);
  EXPECT_EQ(frontend->type, "frontend");
  EXPECT_EQ(frontend->status, "OPEN");
  EXPECT_GT(frontend->bytes_in, 0);
  const auto* up = find_row(stats.rows, "be_app", "app_up");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->type, "server");
  EXPECT_EQ(up->status, "UP");
  EXPECT_EQ(up->check_status, "L4OK");
  const auto* down = find_row(stats.rows, "be_app", "app_down");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->status, "DOWN");
  EXPECT_EQ(down->check_status, "L4CON");
  ASSERT_NE(find_row(stats.rows, "be_app", "BACKEND"), nullptr);
  EXPECT_EQ(find_row(stats.rows, "be_app", "BACKEND")->type, "backend");
  EXPECT_NE(find_row(stats.rows, "web_listen", "FRONTEND"), nullptr);
  EXPECT_NE(find_row(stats.rows, "web_listen", "BACKEND"), nullptr);

  HaproxyStateProbe probe({"haproxy.service", pidfile_, "/proc", false});
  const auto report = collect_haproxy(probe, socket_);
  EXPECT_EQ(report.state, protocol::HaproxyState::running);
  EXPECT_EQ(report.version, stats.version);
  EXPECT_EQ(report.rows.size(), stats.rows.size());
  EXPECT_EQ(report.detail, "pidfile " + pidfile_ + ": process " + std::to_string(pid_) + " is haproxy");
}

TEST_F(LiveHaproxy, PidfileProbeSeesItStopAtOnce) {
  HaproxyStateProbe probe({"haproxy.service", pidfile_, "/proc", false});
  EXPECT_EQ(probe.probe(), protocol::HaproxyState::running);
  const int watch = probe.exit_watch_fd();
  ASSERT_GE(watch, 0) << "pidfd_open is available on Linux >= 5.3";
  pollfd before{watch, POLLIN, 0};
  EXPECT_EQ(::poll(&before, 1, 0), 0);

  const auto killed_at = Clock::now();
  ::kill(pid_, SIGKILL);
  pollfd after{watch, POLLIN, 0};
  ASSERT_EQ(::poll(&after, 1, 2000), 1);
  EXPECT_LT(Clock::now() - killed_at, 500ms);
  // Not reaped yet: a zombie must not count as running.
  EXPECT_EQ(probe.probe(), protocol::HaproxyState::stopped);
  EXPECT_NE(probe.detail().find("not a live haproxy"), std::string::npos) << probe.detail();
  EXPECT_EQ(probe.exit_watch_fd(), -1);

  stop_haproxy(SIGKILL);
  EXPECT_EQ(probe.probe(), protocol::HaproxyState::stopped);
  // The socket file is left behind; nothing answers on it, and a stopped HAProxy is not asked.
  const auto stale = query_stats_socket(socket_, "show info", 200ms);
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().message.find("connection refused"), std::string::npos) << stale.error().message;
  const auto report = collect_haproxy(probe, socket_);
  EXPECT_EQ(report.state, protocol::HaproxyState::stopped);
  EXPECT_TRUE(report.rows.empty());
}

TEST_F(LiveHaproxy, ProcessScanFindsHaproxyWithoutAPidfile) {
  HaproxyStateProbe probe({"haproxy.service", "", "/proc", false});
  EXPECT_EQ(probe.probe(), protocol::HaproxyState::running);
  EXPECT_EQ(probe.detail().rfind("process ", 0), 0u) << probe.detail();
  const std::string ours = "process " + std::to_string(pid_) + " ";
  stop_haproxy(SIGTERM);
  // Another HAProxy may run on this machine; only require that ours is no longer the one found.
  for (int i = 0; i < 5; ++i)
    probe.probe();
  EXPECT_EQ(probe.detail().find(ours), std::string::npos) << probe.detail();
}

}  // namespace
}  // namespace balctl::agent::collectors
