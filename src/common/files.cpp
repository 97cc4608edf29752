#include "common/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace balctl::files {
namespace {

Error io_error(const std::string& what, const std::filesystem::path& path) {
  return Error{Errc::internal, "io_error", what + " " + path.string() + ": " + std::strerror(errno), {}};
}

bool write_all(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t written = ::write(fd, content.data(), content.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    content.remove_prefix(static_cast<std::size_t>(written));
  }
  return true;
}

void fsync_directory(const std::filesystem::path& directory) {
  const int fd = ::open(directory.empty() ? "." : directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

Status write_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  std::filesystem::path temp = path;
  temp += ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) return io_error("cannot create", temp);
  // open() honours the umask; fchmod makes the mode exact.
  const bool ok = ::fchmod(fd, mode) == 0 && write_all(fd, content) && ::fsync(fd) == 0;
  const Error failure = io_error("cannot write", temp);
  ::close(fd);
  if (!ok) {
    ::unlink(temp.c_str());
    return failure;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const Error rename_failure = io_error("cannot rename into", path);
    ::unlink(temp.c_str());
    return rename_failure;
  }
  fsync_directory(path.parent_path());
  return {};
}

Result<std::string> read(const std::filesystem::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot read", path);
  std::string content;
  content.resize(max_bytes + 1);
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  content.resize(static_cast<std::size_t>(in.gcount()));
  if (content.size() > max_bytes) {
    return Error{Errc::too_large, "file_too_large", path.string() + " is larger than expected", {}};
  }
  return content;
}

Status ensure_directory(const std::filesystem::path& path, mode_t mode) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return Error{Errc::internal, "io_error", "cannot create " + path.string() + ": " + ec.message(), {}};
  if (::chmod(path.c_str(), mode) != 0) return io_error("cannot chmod", path);
  return {};
}

}  // namespace balctl::files
