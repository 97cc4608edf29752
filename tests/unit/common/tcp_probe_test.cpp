// tcp_race against real loopback sockets: a listener, a closed port and a listener whose accept queue is
// full (the kernel drops SYNs to it, which is what a lossy or cut-off path looks like to a connect).
#include "common/tcp_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

namespace balctl {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  int fd() const { return fd_; }

 private:
  int fd_;
};

// A listener on 127.0.0.1 with an ephemeral port; returns the port.
int listen_on_loopback(const Socket& socket, int backlog) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return -1;
  if (::listen(socket.fd(), backlog) != 0) return -1;
  socklen_t length = sizeof address;
  ::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

// A port that refuses: bound (so nobody else takes it during the test) but not listening.
int closed_port(const Socket& socket) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(socket.fd(), reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

long elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

TEST(TcpRace, ListeningPortConnectsAtTheFirstAttempt) {
  Socket listener(::socket(AF_INET, SOCK_STREAM, 0));
  const int port = listen_on_loopback(listener, 16);
  ASSERT_GT(port, 0);
  const auto started = Clock::now();
  const auto outcome = tcp_race("127.0.0.1", port, 4, 200ms, 1000ms);
  EXPECT_TRUE(outcome.connected);
  EXPECT_EQ(outcome.attempts_started, 1);
  EXPECT_LT(elapsed_ms(started), 150);
  EXPECT_TRUE(tcp_connects_any("127.0.0.1", port, 1, 0ms, 500ms));
}

TEST(TcpRace, ClosedPortIsRefusedAtOnceWithoutFurtherAttempts) {
  Socket bound(::socket(AF_INET, SOCK_STREAM, 0));
  const int port = closed_port(bound);
  const auto started = Clock::now();
  const auto outcome = tcp_race("127.0.0.1", port, 4, 200ms, 1000ms);
  EXPECT_FALSE(outcome.connected);
  EXPECT_TRUE(outcome.refused);
  EXPECT_EQ(outcome.attempts_started, 1);
  EXPECT_LT(elapsed_ms(started), 150);  // not (attempts - 1) * spacing
}

// Linux drops a SYN to a listener whose accept queue is full, so every attempt stays unanswered: the race
// must start all its attempts and give up within (attempts - 1) * spacing + timeout.
TEST(TcpRace, UnansweredAttemptsAllStartAndTheRaceEndsWithinItsBudget) {
  Socket listener(::socket(AF_INET, SOCK_STREAM, 0));
  const int port = listen_on_loopback(listener, 0);
  ASSERT_GT(port, 0);
  std::vector<Socket> fillers;
  for (int i = 0; i < 3; ++i) {
    fillers.emplace_back(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    ::connect(fillers.back().fd(), reinterpret_cast<sockaddr*>(&address), sizeof address);
  }
  ::usleep(50'000);  // let the fillers' handshakes complete and fill the queue
  if (tcp_connects("127.0.0.1", port, 100ms)) GTEST_SKIP() << "this kernel accepts past a full backlog";
  const auto started = Clock::now();
  const auto outcome = tcp_race("127.0.0.1", port, 3, 100ms, 300ms);
  const long took = elapsed_ms(started);
  EXPECT_FALSE(outcome.connected);
  EXPECT_FALSE(outcome.refused);
  EXPECT_EQ(outcome.attempts_started, 3);
  EXPECT_GE(took, 2 * 100 + 300 - 20);
  EXPECT_LT(took, 2 * 100 + 300 + 150);
}

TEST(TcpRace, BadInputIsFalseWithoutAttempts) {
  EXPECT_EQ(tcp_race("127.0.0.1", 0, 4, 200ms, 500ms).attempts_started, 0);
  EXPECT_EQ(tcp_race("127.0.0.1", 80, 0, 200ms, 500ms).attempts_started, 0);
}

}  // namespace
}  // namespace balctl
