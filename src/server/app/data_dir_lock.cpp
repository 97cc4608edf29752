#include "server/app/data_dir_lock.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/file.h>
#include <unistd.h>
#include <utility>

namespace balctl::app {
namespace {

Error io_error(const std::filesystem::path& file, std::string_view what) {
  return Error::internal("cannot " + std::string(what) + " " + file.string() + ": " + std::strerror(errno));
}

// The holder's PID as it wrote it ("1234\n"); empty when it has not written it yet.
std::string read_holder(int fd) {
  char buffer[32] = {};
  const auto n = ::pread(fd, buffer, sizeof buffer - 1, 0);
  if (n <= 0) return {};
  std::string text(buffer, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text.find_first_not_of("0123456789") == std::string::npos ? text : std::string();
}

Status write_pid(int fd, const std::filesystem::path& file) {
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0) return io_error(file, "truncate");
  if (::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size()))
    return io_error(file, "write");
  return {};
}

}  // namespace

Result<DataDirLock> DataDirLock::acquire(const std::filesystem::path& data_dir) {
  const auto file = data_dir / kFileName;
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return io_error(file, "open");
  DataDirLock lock(fd);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return io_error(file, "lock");
    const auto holder = read_holder(fd);
    return Error{Errc::conflict,
                 "data_dir_locked",
                 "data directory " + data_dir.string() + " is in use by another balctl serve (" +
                     (holder.empty() ? std::string("PID unknown") : "PID " + holder) + ", lock " +
                     file.string() + "); stop that one first",
                 {}};
  }
  if (auto status = write_pid(fd, file); !status) return status.error();
  return lock;
}

DataDirLock::DataDirLock(DataDirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DataDirLock& DataDirLock::operator=(DataDirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DataDirLock::~DataDirLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the only descriptor of the open file releases the flock
}

}  // namespace balctl::app
