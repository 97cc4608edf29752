#include "agent/client/reachability.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/url/parse.hpp>

namespace balctl::agent {
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

bool connect_with_deadline(const addrinfo& address, const std::string& bind_address, int timeout_ms) {
  const int fd = ::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, address.ai_protocol);
  if (fd < 0) return false;
  bool connected = false;
  if (bind_source(fd, address.ai_family, bind_address)) {
    if (::connect(fd, address.ai_addr, address.ai_addrlen) == 0) {
      connected = true;
    } else if (errno == EINPROGRESS) {
      pollfd waiter{fd, POLLOUT, 0};
      if (::poll(&waiter, 1, timeout_ms) == 1) {
        int error = 0;
        socklen_t length = sizeof error;
        connected = ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 && error == 0;
      }
    }
  }
  ::close(fd);
  return connected;
}

}  // namespace

bool split_host_port(const std::string& url, std::string& host, std::string& port) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || !parsed->has_authority()) return false;
  host = parsed->host_address();
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  port = parsed->has_port() ? std::string(parsed->port()) : (parsed->scheme() == "http" ? "80" : "443");
  return !host.empty();
}

bool tcp_reachable(const std::string& url, const std::string& bind_address, std::chrono::milliseconds timeout) {
  std::string host;
  std::string port;
  if (!split_host_port(url, host, port)) return false;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* results = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &results) != 0) return false;
  bool reachable = false;
  for (const addrinfo* it = results; it != nullptr && !reachable; it = it->ai_next) {
    reachable = connect_with_deadline(*it, bind_address, static_cast<int>(timeout.count()));
  }
  ::freeaddrinfo(results);
  return reachable;
}

}  // namespace balctl::agent
