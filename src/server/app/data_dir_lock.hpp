// One `balctl serve` per data directory: an exclusive flock(2) on DATA_DIR/balctl.lock, which holds the
// owner's PID. Two servers on one database would both run failover engines against the same DNS records.
// The kernel drops the lock when the process ends in any way (kill -9 included), so a stale file never
// blocks a restart; the file itself stays, and is only read to name the holder.
#pragma once

#include <filesystem>

#include "common/result.hpp"

namespace balctl::app {

class DataDirLock {
 public:
  // Takes the lock without waiting. Error "data_dir_locked" names the PID that holds it.
  static Result<DataDirLock> acquire(const std::filesystem::path& data_dir);

  DataDirLock(DataDirLock&& other) noexcept;
  DataDirLock& operator=(DataDirLock&& other) noexcept;
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;
  ~DataDirLock();  // releases the lock

  static constexpr const char* kFileName = "balctl.lock";

 private:
  explicit DataDirLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace balctl::app
