// The stats socket client: every way a socket can fail says which socket and why, and nothing waits
// past the deadline.
#include "agent/collectors/haproxy_socket.hpp"

#include <chrono>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "unit/agent/collectors/fake_stats_socket.hpp"
#include "unit/agent/collectors/fixtures.hpp"

namespace balctl::agent::collectors {
namespace {

using namespace std::chrono_literals;
using test::FakeStatsSocket;
using test::ScratchDir;

std::string error_of(const Result<std::string>& reply) {
  return reply.ok() ? "(no error)" : reply.error().message;
}

int listen_unix(const std::string& path, int backlog) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, backlog) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

TEST(StatsSocket, ReadsTheWholeReply) {
  ScratchDir dir;
  const std::string big(300'000, 'x');  // several reads
  FakeStatsSocket fake(dir / "admin.sock", {{"show info", "Version: 2.6\n"}, {"show stat", big}});
  EXPECT_EQ(query_stats_socket(dir / "admin.sock", "show info", 500ms).value(), "Version: 2.6\n");
  EXPECT_EQ(query_stats_socket(dir / "admin.sock", "show stat", 500ms).value(), big);
  EXPECT_EQ(fake.commands(), (std::vector<std::string>{"show info", "show stat"}));
  const auto capped = query_stats_socket(dir / "admin.sock", "show stat", 500ms, 1000);
  EXPECT_NE(error_of(capped).find("reply is larger than 1000 bytes"), std::string::npos) << error_of(capped);
}

TEST(StatsSocket, MissingSocket) {
  ScratchDir dir;
  const auto missing = query_stats_socket(dir / "none.sock", "show info", 200ms);
  EXPECT_EQ(error_of(missing), "stats socket " + (dir / "none.sock") + ": no such file");
  EXPECT_NE(error_of(query_stats_socket(dir / "file/x.sock", "show info", 200ms)).find("no such file"),
            std::string::npos);
}

TEST(StatsSocket, StaleSocketFileOrNotASocket) {
  ScratchDir dir;
  const int stale = listen_unix(dir / "stale.sock", 1);
  ASSERT_GE(stale, 0);
  ::close(stale);  // HAProxy died; its socket file stays behind
  EXPECT_NE(error_of(query_stats_socket(dir / "stale.sock", "show info", 200ms)).find("connection refused"),
            std::string::npos);
  dir.write("plain", "not a socket");
  EXPECT_NE(error_of(query_stats_socket(dir / "plain", "show info", 200ms)).find("connection refused"),
            std::string::npos);
}

TEST(StatsSocket, PermissionDenied) {
  ScratchDir dir;
  FakeStatsSocket fake(dir / "admin.sock", {{"show info", "Version: 2.6\n"}});
  if (::geteuid() != 0) {
    ASSERT_EQ(::chmod((dir / "admin.sock").c_str(), 0), 0);
    EXPECT_EQ(error_of(query_stats_socket(dir / "admin.sock", "show info", 200ms)),
              "stats socket " + (dir / "admin.sock") + ": permission denied");
    return;
  }
  // As root no permission check applies: ask from a child that has become "nobody". The scratch
  // directory is 0700 root, so nobody cannot reach the socket, as with HAProxy's 0600 socket.
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    ::close(pipe_fds[0]);
    std::string message = "setuid failed";
    if (::setgid(65534) == 0 && ::setuid(65534) == 0) {
      message = error_of(query_stats_socket(dir / "admin.sock", "show info", 200ms));
    }
    (void)::write(pipe_fds[1], message.data(), message.size());
    ::_exit(0);
  }
  ::close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t got; (got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    message.append(buffer, got);
  ::close(pipe_fds[0]);
  ::waitpid(child, nullptr, 0);
  EXPECT_EQ(message, "stats socket " + (dir / "admin.sock") + ": permission denied");
}

TEST(StatsSocket, ASilentPeerTimesOut) {
  ScratchDir dir;
  FakeStatsSocket fake(dir / "silent.sock", {});
  const auto started = std::chrono::steady_clock::now();
  const auto reply = query_stats_socket(dir / "silent.sock", "show info", 300ms);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(error_of(reply), "stats socket " + (dir / "silent.sock") + ": timed out waiting for the reply");
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 600ms);
}

TEST(StatsSocket, AFullListenQueueTimesOut) {
  ScratchDir dir;
  const auto path = dir / "stuck.sock";
  const int listener = listen_unix(path, 0);  // never accepts
  ASSERT_GE(listener, 0);
  std::vector<int> queued;
  for (int i = 0; i < 16; ++i) {  // fill the queue until the kernel refuses more
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    const bool accepted = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    queued.push_back(fd);
    if (!accepted) break;
  }
  const auto started = std::chrono::steady_clock::now();
  const auto reply = query_stats_socket(path, "show info", 200ms);
  const auto elapsed = std::chrono::steady_clock::now() - started;
  for (const int fd : queued)
    ::close(fd);
  ::close(listener);
  EXPECT_NE(error_of(reply).find("timed out"), std::string::npos) << error_of(reply);
  EXPECT_LT(elapsed, 500ms);
}

TEST(StatsSocket, RefusesBadPathsAndCommands) {
  EXPECT_NE(error_of(query_stats_socket(std::string(200, 'x'), "show info", 200ms)).find("longer than"),
            std::string::npos);
  EXPECT_NE(error_of(query_stats_socket("", "show info", 200ms)).find("no path"), std::string::npos);
  for (const char* command : {"", "show info\nshutdown frontend x", "show info; disable server a/b"}) {
    const auto reply = query_stats_socket("/nonexistent.sock", command, 200ms);
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.error().kind, Errc::invalid_argument) << command;
  }
}

}  // namespace
}  // namespace balctl::agent::collectors
