#include "agent/collectors/haproxy_socket.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace balctl::agent::collectors {
namespace {

using Clock = std::chrono::steady_clock;

// A listen backlog that is full makes a non-blocking UNIX connect() fail with EAGAIN instead of
// waiting; we retry this often until the deadline.
constexpr std::chrono::milliseconds kBacklogRetry{10};

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
    case ENOENT:
      return "no such file";
    case ENOTDIR:
      return "no such file (a path component is not a directory)";
    case EACCES:
    case EPERM:
      return "permission denied";
    case ECONNREFUSED:
      return "connection refused (no HAProxy listening on it)";
    case ECONNRESET:
    case EPIPE:
      return "connection closed by HAProxy";
    default:
      return std::strerror(error);
  }
}

int millis_left(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::clamp<std::int64_t>(left, 0, 60'000));
}

// Waits for `events` on `fd` until the deadline; false when it passed first.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const int left = millis_left(deadline);
    if (left <= 0) return false;
    pollfd waiter{fd, events, 0};
    const int ready = ::poll(&waiter, 1, left);
    if (ready > 0) return true;  // ready, or an error/hang-up the next call will report
    if (ready < 0 && errno != EINTR) return true;
  }
}

Status connect_socket(int fd, const std::string& path, Clock::time_point deadline) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  while (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    if (errno == EINTR) continue;
    if (errno == EAGAIN) {
      // The backlog is full: HAProxy is alive but not accepting (overloaded or stuck).
      if (millis_left(deadline) <= 0) return socket_error(path, "timed out connecting (listen queue full)");
      ::poll(nullptr, 0, std::min(millis_left(deadline), static_cast<int>(kBacklogRetry.count())));
      continue;
    }
    if (errno != EINPROGRESS) return socket_error(path, describe_errno(errno));
    if (!wait_for(fd, POLLOUT, deadline)) return socket_error(path, "timed out connecting");
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
    if (error != 0) return socket_error(path, describe_errno(error));
    break;
  }
  return {};
}

}  // namespace

Result<std::string> query_stats_socket(const std::string& path, std::string_view command,
                                       Clock::time_point deadline, std::size_t max_reply) {
  if (path.empty()) return socket_error(path, "no path configured");
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return socket_error(
        path, "path is longer than " + std::to_string(sizeof(sockaddr_un::sun_path) - 1) + " bytes");
  }
  // A newline or ';' would smuggle a second command (HAProxy accepts "cmd1; cmd2").
  if (command.empty() || command.find_first_of("\r\n;") != std::string_view::npos) {
    return Error::invalid("command", "a stats socket command is one command on one line");
  }
  Fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return socket_error(path, std::strerror(errno));
  if (auto connected = connect_socket(fd.get(), path, deadline); !connected) return connected.error();

  std::string request(command);
  request += '\n';
  std::string_view pending = request;
  while (!pending.empty()) {
    const ssize_t written = ::send(fd.get(), pending.data(), pending.size(), MSG_NOSIGNAL);
    if (written > 0) {
      pending.remove_prefix(static_cast<std::size_t>(written));
    } else if (written < 0 && errno == EAGAIN) {
      if (!wait_for(fd.get(), POLLOUT, deadline)) return socket_error(path, "timed out sending the command");
    } else if (written < 0 && errno != EINTR) {
      return socket_error(path, describe_errno(errno));
    }
  }

  std::string reply;
  char buffer[16 * 1024];
  while (true) {
    const ssize_t got = ::recv(fd.get(), buffer, sizeof buffer, 0);
    if (got > 0) {
      if (reply.size() + static_cast<std::size_t>(got) > max_reply) {
        return socket_error(path, "reply is larger than " + std::to_string(max_reply) + " bytes");
      }
      reply.append(buffer, static_cast<std::size_t>(got));
    } else if (got == 0) {
      return reply;
    } else if (errno == EAGAIN) {
      if (!wait_for(fd.get(), POLLIN, deadline)) return socket_error(path, "timed out waiting for the reply");
    } else if (errno != EINTR) {
      return socket_error(path, describe_errno(errno));
    }
  }
}

Result<std::string> query_stats_socket(const std::string& path, std::string_view command,
                                       std::chrono::milliseconds timeout, std::size_t max_reply) {
  return query_stats_socket(path, command, Clock::now() + timeout, max_reply);
}

}  // namespace balctl::agent::collectors
