// The agent binary served at /api/v1/agent/download (no authentication: members fetch it while installing).
// One immutable copy in memory shared by every download in flight, instead of one ~19 MB copy per request
// held while the client reads (issue 13 item 10), and a cap on downloads at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.hpp"

namespace balctl::api {

class AgentBinary {
 public:
  static constexpr std::size_t kDefaultMaxDownloads = 8;
  static constexpr std::size_t kMaxBytes = 64 << 20;

  explicit AgentBinary(std::filesystem::path path, std::size_t max_downloads = kDefaultMaxDownloads);

  const std::filesystem::path& path() const { return path_; }
  std::size_t max_downloads() const { return max_downloads_; }

  // The file's bytes, read once and again only when its size or modification time changes (an upgrade
  // replaced it); downloads in flight keep the copy they started with.
  Result<std::shared_ptr<const std::string>> contents();

  // One of the download slots, held until the reply has been written; null when all are taken.
  std::shared_ptr<const void> try_start_download();
  std::size_t downloads_in_flight() const { return in_flight_->load(); }

 private:
  const std::filesystem::path path_;
  const std::size_t max_downloads_;
  std::mutex mutex_;  // handlers run on every I/O thread
  std::shared_ptr<const std::string> cached_;
  std::uintmax_t cached_size_ = 0;
  std::filesystem::file_time_type cached_mtime_{};
  // Shared with the slots so that a slot outliving this object still has a counter to give back to.
  std::shared_ptr<std::atomic<std::size_t>> in_flight_ = std::make_shared<std::atomic<std::size_t>>(0);
};

}  // namespace balctl::api
