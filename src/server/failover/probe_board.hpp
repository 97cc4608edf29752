// Probe tasks waiting for their standby's next heartbeat. A task is handed out once and expires after a
// few seconds (a standby that does not call in soon enough has nothing useful to say).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "common/protocol.hpp"
#include "server/failover/engine_types.hpp"

namespace balctl::failover {

class ProbeBoard {
 public:
  void assign(const ProbeRequest& request, std::int64_t now);
  std::vector<protocol::ProbeTask> take(std::int64_t member_id, std::int64_t now);
  // Which pool a probe belongs to (for routing a vote), while it is remembered.
  std::int64_t pool_of(std::int64_t probe_id) const;

 private:
  struct Waiting {
    protocol::ProbeTask task;
    std::int64_t expires = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::int64_t, std::vector<Waiting>> by_member_;
  std::map<std::int64_t, std::pair<std::int64_t, std::int64_t>> pools_;  // probe id -> (pool id, expiry)
};

}  // namespace balctl::failover
