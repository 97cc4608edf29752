// A heartbeat that stalls is abandoned after about one interval and sent again at once on a new
// connection. The control plane here is a real TCP server on loopback that answers plain HTTP or, when
// told to, reads a request and never answers (what a lost packet on a kept-alive connection looks like).
#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <functional>
#include <netinet/in.h>
#include <poll.h>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gtest/gtest.h>

#include "agent/heartbeat_loop.hpp"

namespace balctl::agent {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class StallingServer {
 public:
  // `stall(connection, request)` says whether to leave that request (both counted from 0) unanswered.
  explicit StallingServer(std::function<bool(int, int)> stall) : stall_(std::move(stall)) {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address);
    ::listen(listener_, 16);
    socklen_t length = sizeof address;
    ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~StallingServer() {
    stopping_ = true;
    acceptor_.join();
    for (auto& t : sessions_)
      t.join();
    ::close(listener_);
  }
  int port() const { return port_; }
  int connections() const { return connections_; }
  int answered() const { return answered_; }

 private:
  void accept_loop() {
    while (!stopping_) {
      pollfd waiter{listener_, POLLIN, 0};
      if (::poll(&waiter, 1, 50) != 1) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      const int index = connections_++;
      sessions_.emplace_back([this, fd, index] { serve(fd, index); });
    }
  }

  // Reads whole requests (headers and Content-Length body) and answers each unless told to stall.
  void serve(int fd, int connection) {
    std::string buffer;
    int request = 0;
    while (!stopping_) {
      pollfd waiter{fd, POLLIN, 0};
      if (::poll(&waiter, 1, 50) != 1) continue;
      char chunk[4096];
      const ssize_t n = ::read(fd, chunk, sizeof chunk);
      if (n <= 0) break;
      buffer.append(chunk, static_cast<std::size_t>(n));
      while (true) {
        const auto end = buffer.find("\r\n\r\n");
        if (end == std::string::npos) break;
        std::size_t body_length = 0;
        if (const auto at = buffer.find("Content-Length: "); at != std::string::npos && at < end) {
          body_length = std::stoul(buffer.substr(at + 16));
        }
        if (buffer.size() < end + 4 + body_length) break;
        buffer.erase(0, end + 4 + body_length);
        if (stall_(connection, request++)) continue;
        const std::string body = R"({"interval_ms":1000,"jobs":[]})";
        const std::string reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                                  std::to_string(body.size()) + "\r\n\r\n" + body;
        ++answered_;  // before the write: the client may check as soon as the reply arrives
        (void)!::write(fd, reply.data(), reply.size());
      }
    }
    ::close(fd);
  }

  std::function<bool(int, int)> stall_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::atomic<int> answered_{0};
  std::thread acceptor_;
  std::vector<std::thread> sessions_;  // only the acceptor thread adds, before the destructor joins
};

class EmptyReport : public ReportSource {
 public:
  protocol::Heartbeat current() override { return {}; }
};

AgentConfig config_for(int port) {
  AgentConfig config;
  config.api_base = "http://127.0.0.1:" + std::to_string(port);
  config.member_id = 1;
  config.member_secret = "secret";
  return config;
}

long elapsed_ms(Clock::time_point since) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
}

TEST(HeartbeatStall, StalledKeptAliveConnectionIsAbandonedAfterTwoIntervalsAndRetriedOnANewOne) {
  // The first connection answers its first request, then stalls: the second heartbeat must not wait out
  // the 5 s request timeout on it.
  StallingServer server([](int connection, int request) { return connection == 0 && request >= 1; });
  EmptyReport report;
  HeartbeatLoop loop(config_for(server.port()), report, LoopTiming{});
  ASSERT_TRUE(loop.send_once().ok());
  EXPECT_EQ(server.connections(), 1);
  const auto started = Clock::now();
  const auto status = loop.send_once();
  const long took = elapsed_ms(started);
  ASSERT_TRUE(status.ok()) << status.error().message;
  EXPECT_EQ(server.connections(), 2);  // the retry did not reuse the stalled connection
  EXPECT_EQ(server.answered(), 2);
  EXPECT_GE(took, 1900);  // the stalled request had two intervals (2 s) ...
  EXPECT_LT(took, 3000);  // ... and no more; the retry went at once
}

// A request on a new connection (no kept-alive one yet, or the retry) also pays the TCP and TLS handshake,
// so it gets the whole request timeout (2 s here); two such attempts on two connections, then the error.
TEST(HeartbeatStall, ServerThatNeverAnswersCostsTwoRequestTimeoutsOnTwoConnections) {
  StallingServer server([](int, int) { return true; });
  EmptyReport report;
  LoopTiming timing;
  timing.request_timeout = std::chrono::milliseconds(2000);
  HeartbeatLoop loop(config_for(server.port()), report, timing);
  const auto started = Clock::now();
  const auto status = loop.send_once();
  const long took = elapsed_ms(started);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "timeout");
  EXPECT_EQ(server.connections(), 2);
  EXPECT_GE(took, 3900);
  EXPECT_LT(took, 5000);
}

}  // namespace
}  // namespace balctl::agent
