#include "server/api/agent_binary.hpp"

#include <system_error>

#include "common/files.hpp"

namespace balctl::api {
namespace {

struct DownloadSlot {
  explicit DownloadSlot(std::shared_ptr<std::atomic<std::size_t>> counter) : in_flight(std::move(counter)) {}
  ~DownloadSlot() { in_flight->fetch_sub(1); }
  DownloadSlot(const DownloadSlot&) = delete;
  DownloadSlot& operator=(const DownloadSlot&) = delete;
  std::shared_ptr<std::atomic<std::size_t>> in_flight;
};

}  // namespace

AgentBinary::AgentBinary(std::filesystem::path path, std::size_t max_downloads)
    : path_(std::move(path)), max_downloads_(max_downloads) {}

Result<std::shared_ptr<const std::string>> AgentBinary::contents() {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path_, ec);
  const auto mtime = ec ? std::filesystem::file_time_type{} : std::filesystem::last_write_time(path_, ec);
  if (ec)
    return Error::not_found("agent_not_available", "cannot read " + path_.string() + ": " + ec.message());
  std::lock_guard lock(mutex_);
  if (cached_ && size == cached_size_ && mtime == cached_mtime_) return cached_;
  // Read under the lock: concurrent first downloads wait for one read instead of each making a copy.
  auto bytes = files::read(path_, kMaxBytes);
  if (!bytes) return bytes.error();
  cached_ = std::make_shared<const std::string>(std::move(*bytes));
  cached_size_ = size;
  cached_mtime_ = mtime;
  return cached_;
}

std::shared_ptr<const void> AgentBinary::try_start_download() {
  std::size_t current = in_flight_->load();
  do {
    if (current >= max_downloads_) return nullptr;
  } while (!in_flight_->compare_exchange_weak(current, current + 1));
  return std::make_shared<const DownloadSlot>(in_flight_);
}

}  // namespace balctl::api
