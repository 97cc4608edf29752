// Told about every change to pools and members after it reached the store, so in-memory consumers
// (the failover engine) never drift from what is stored.
#pragma once

#include <cstdint>

#include "server/store/records.hpp"

namespace balctl::fleet {

class FleetObserver {
 public:
  virtual ~FleetObserver() = default;
  virtual void pool_changed(const store::PoolRecord& pool) = 0;
  virtual void pool_removed(std::int64_t pool_id) = 0;
  virtual void member_changed(const store::MemberRecord& member) = 0;
  virtual void member_removed(std::int64_t member_id) = 0;
};

}  // namespace balctl::fleet
