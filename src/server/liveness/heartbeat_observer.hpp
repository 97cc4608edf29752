// Sees each accepted heartbeat right after liveness was recorded (on the request's thread, so decisions
// need no polling tick), and may hand the member probe tasks for the response.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/protocol.hpp"

namespace balctl::liveness {

struct HeartbeatFacts {
  std::int64_t member_id = 0;
  protocol::HaproxyState haproxy = protocol::HaproxyState::unknown;
  std::string source_ip;
  std::vector<protocol::ProbeResult> probe_results;
};

class HeartbeatObserver {
 public:
  virtual ~HeartbeatObserver() = default;
  virtual std::vector<protocol::ProbeTask> on_heartbeat(const HeartbeatFacts& facts) = 0;
};

}  // namespace balctl::liveness
