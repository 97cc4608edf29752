#include "common/tcp_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace balctl {
namespace {

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

}  // namespace

bool tcp_connects(const std::string& address, int port, std::chrono::milliseconds timeout,
                  const std::string& bind_address) {
  if (port <= 0 || port > 65535) return false;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* results = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(address.c_str(), service.c_str(), &hints, &results) != 0) return false;
  bool connected = false;
  for (const addrinfo* it = results; it != nullptr && !connected; it = it->ai_next) {
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
  ::freeaddrinfo(results);
  return connected;
}

}  // namespace balctl
