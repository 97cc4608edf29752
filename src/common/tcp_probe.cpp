#include "common/tcp_probe.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

namespace balctl {
namespace {

using Clock = std::chrono::steady_clock;

bool bind_source(int fd, int family, const std::string& bind_address) {
  if (bind_address.empty()) return true;
  if (family == AF_INET) {
    sockaddr_in source{};
    source.sin_family = AF_INET;
    return ::inet_pton(AF_INET, bind_address.c_str(), &source.sin_addr) == 1 &&
           ::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) == 0;
  }
  sockaddr_in6 source{};
  source.sin6_family = AF_INET6;
  return ::inet_pton(AF_INET6, bind_address.c_str(), &source.sin6_addr) == 1 &&
         ::bind(fd, reinterpret_cast<sockaddr*>(&source), sizeof source) == 0;
}

struct Resolved {
  addrinfo* list = nullptr;
  ~Resolved() {
    if (list != nullptr) ::freeaddrinfo(list);
  }
};

bool resolve(const std::string& address, int port, Resolved& out) {
  if (port <= 0 || port > 65535) return false;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  const std::string service = std::to_string(port);
  return ::getaddrinfo(address.c_str(), service.c_str(), &hints, &out.list) == 0 && out.list != nullptr;
}

// One connect in flight.
struct Attempt {
  int fd = -1;
  Clock::time_point deadline;
};

int milliseconds_until(Clock::time_point when, Clock::time_point now) {
  if (when <= now) return 0;
  // Round up so that poll never wakes a hair before the instant it waits for and spins.
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(when - now).count());
}

}  // namespace

bool tcp_connects(const std::string& address, int port, std::chrono::milliseconds timeout,
                  const std::string& bind_address) {
  Resolved resolved;
  if (!resolve(address, port, resolved)) return false;
  bool connected = false;
  for (const addrinfo* it = resolved.list; it != nullptr && !connected; it = it->ai_next) {
    const int fd = ::socket(it->ai_family, it->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, it->ai_protocol);
    if (fd < 0) continue;
    if (bind_source(fd, it->ai_family, bind_address)) {
      if (::connect(fd, it->ai_addr, it->ai_addrlen) == 0) {
        connected = true;
      } else if (errno == EINPROGRESS) {
        pollfd waiter{fd, POLLOUT, 0};
        if (::poll(&waiter, 1, static_cast<int>(timeout.count())) == 1) {
          int error = 0;
          socklen_t length = sizeof error;
          connected = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
        }
      }
    }
    ::close(fd);
  }
  return connected;
}

RaceOutcome tcp_race(const std::string& address, int port, int attempts, std::chrono::milliseconds spacing,
                     std::chrono::milliseconds attempt_timeout, const std::string& bind_address) {
  RaceOutcome outcome;
  Resolved resolved;
  if (attempts < 1 || !resolve(address, port, resolved)) return outcome;
  const addrinfo* target = resolved.list;  // probe targets are numeric addresses: one result
  std::vector<Attempt> flying;
  const auto started = Clock::now();
  auto next_start = started;
  while (!outcome.connected && !outcome.refused) {
    auto now = Clock::now();
    if (outcome.attempts_started < attempts && now >= next_start) {
      ++outcome.attempts_started;
      next_start = started + spacing * outcome.attempts_started;
      const int fd = ::socket(target->ai_family, target->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                              target->ai_protocol);
      if (fd >= 0 && bind_source(fd, target->ai_family, bind_address)) {
        if (::connect(fd, target->ai_addr, target->ai_addrlen) == 0) {
          outcome.connected = true;
        } else if (errno == EINPROGRESS) {
          flying.push_back({fd, now + attempt_timeout});
          continue;
        } else if (errno == ECONNREFUSED) {
          outcome.refused = true;
        }
      }
      if (fd >= 0) ::close(fd);
      continue;
    }
    // Drop attempts whose time is up; stop when nothing is in flight and nothing is left to start.
    std::erase_if(flying, [now](const Attempt& a) {
      if (a.deadline > now) return false;
      ::close(a.fd);
      return true;
    });
    if (flying.empty() && outcome.attempts_started >= attempts) break;
    auto wake = outcome.attempts_started < attempts ? next_start : Clock::time_point::max();
    for (const auto& a : flying)
      wake = std::min(wake, a.deadline);
    std::vector<pollfd> waiters;
    for (const auto& a : flying)
      waiters.push_back({a.fd, POLLOUT, 0});
    const int ready = ::poll(waiters.data(), waiters.size(), milliseconds_until(wake, now));
    if (ready <= 0) continue;
    for (std::size_t i = 0; i < waiters.size(); ++i) {
      if (waiters[i].revents == 0) continue;
      int error = 0;
      socklen_t length = sizeof error;
      if (::getsockopt(waiters[i].fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = EIO;
      if (error == 0) outcome.connected = true;
      if (error == ECONNREFUSED) outcome.refused = true;
      flying[i].deadline = Clock::time_point::min();  // finished: closed by the erase below
    }
    std::erase_if(flying, [](const Attempt& a) {
      if (a.deadline != Clock::time_point::min()) return false;
      ::close(a.fd);
      return true;
    });
  }
  for (const auto& a : flying)
    ::close(a.fd);
  return outcome;
}

}  // namespace balctl
