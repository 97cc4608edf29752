#include "agent/collectors/haproxy_socket.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace balctl::agent::collectors {
namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Error socket_error(const std::string& path, const std::string& why) {
  return Error{Errc::unavailable, "stats_socket", "stats socket " + path + ": " + why, {}};
}

std::string describe_errno(int error) {
  switch (error) {
    case ENOENT: return "no such file (is HAProxy running with 'stats socket' at this path?)";
    case EACCES: return "permission denied";
    case ECONNREFUSED: return "connection refused (HAProxy is not listening on it)";
    default: return std::strerror(error);
  }
}

// Waits for `events` until the deadline; false on timeout or error.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd waiter{fd, events, 0};
    const int ready = ::poll(&waiter, 1, static_cast<int>(left));
    if (ready > 0) return true;
    if (ready == 0 || errno != EINTR) return false;
  }
}

}  // namespace

Result<std::string> query_stats_socket(const std::string& path, std::string_view command,
                                       std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  sockaddr_un address{};
  if (path.empty() || path.size() >= sizeof address.sun_path) return socket_error(path, "path is too long");
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());

  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return socket_error(path, std::strerror(errno));
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno != EINPROGRESS && errno != EAGAIN) return socket_error(path, describe_errno(errno));
    if (!wait_for(fd.get(), POLLOUT, deadline)) return socket_error(path, "timed out connecting");
  }
  std::string request(command);
  request += '\n';
  std::string_view pending = request;
  while (!pending.empty()) {
    const ssize_t written = ::send(fd.get(), pending.data(), pending.size(), MSG_NOSIGNAL);
    if (written > 0) {
      pending.remove_prefix(static_cast<std::size_t>(written));
    } else if (written < 0 && errno == EAGAIN) {
      if (!wait_for(fd.get(), POLLOUT, deadline)) return socket_error(path, "timed out sending");
    } else if (written < 0 && errno != EINTR) {
      return socket_error(path, describe_errno(errno));
    }
  }
  // Without "prompt" mode HAProxy answers one command and closes the connection: read to EOF.
  std::string reply;
  char buffer[16 * 1024];
  while (true) {
    const ssize_t got = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (got > 0) {
      reply.append(buffer, static_cast<std::size_t>(got));
      if (reply.size() > kMaxSocketReply) return socket_error(path, "reply is larger than 8 MiB");
    } else if (got == 0) {
      return reply;
    } else if (errno == EAGAIN) {
      if (!wait_for(fd.get(), POLLIN, deadline)) return socket_error(path, "timed out waiting for the reply");
    } else if (errno != EINTR) {
      return socket_error(path, describe_errno(errno));
    }
  }
}

}  // namespace balctl::agent::collectors
