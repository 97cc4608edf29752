// A stand-in for HAProxy's stats socket: answers each connection's one command line from a table (or
// stays silent), then closes, as HAProxy does outside prompt mode. Lets the socket client and the
// collector be tested for replies and failures a real HAProxy will not produce on demand.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace balctl::agent::test {

class FakeStatsSocket {
 public:
  // A command missing from `replies` gets no answer at all (the connection stays open until the test
  // ends): a hung HAProxy.
  FakeStatsSocket(const std::string& path, std::map<std::string, std::string> replies)
      : replies_(std::move(replies)) {
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", path.c_str());
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 8) != 0) {
      throw std::runtime_error("cannot listen on " + path);
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeStatsSocket() {
    stop_ = true;
    thread_.join();
    for (const int fd : held_)
      ::close(fd);
    ::close(listener_);
  }
  FakeStatsSocket(const FakeStatsSocket&) = delete;
  FakeStatsSocket& operator=(const FakeStatsSocket&) = delete;

  std::vector<std::string> commands() {
    std::lock_guard lock(mutex_);
    return commands_;
  }

 private:
  void serve() {
    while (!stop_) {
      pollfd waiter{listener_, POLLIN, 0};
      if (::poll(&waiter, 1, 20) <= 0) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      std::string line;
      char c = 0;
      while (line.size() < 1024 && ::read(fd, &c, 1) == 1 && c != '\n')
        line += c;
      {
        std::lock_guard lock(mutex_);
        commands_.push_back(line);
      }
      const auto reply = replies_.find(line);
      if (reply == replies_.end()) {
        held_.push_back(fd);  // silent until the destructor
        continue;
      }
      std::string_view pending = reply->second;
      while (!pending.empty()) {
        const ssize_t written = ::send(fd, pending.data(), pending.size(), MSG_NOSIGNAL);
        if (written <= 0) break;
        pending.remove_prefix(static_cast<std::size_t>(written));
      }
      ::close(fd);
    }
  }

  std::map<std::string, std::string> replies_;
  int listener_ = -1;
  std::vector<int> held_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::string> commands_;
  std::thread thread_;
};

}  // namespace balctl::agent::test
