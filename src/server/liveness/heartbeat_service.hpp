// POST /api/v1/agent/heartbeat: authenticate the member from memory, parse and validate the report,
// update liveness, answer with the interval and pending jobs. No disk I/O on this path, except for the
// rare heartbeat that reports a change of HAProxy state or is refused: its event is written before it is
// answered. (member_online is liveness: it is written with the liveness batch, see CameOnline.)
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/protocol.hpp"
#include "common/result.hpp"
#include "server/events/event_log.hpp"
#include "server/events/event_throttle.hpp"
#include "server/fleet/registry.hpp"
#include "server/liveness/heartbeat_observer.hpp"
#include "server/liveness/liveness_table.hpp"

namespace balctl::liveness {

struct HeartbeatSettings {
  std::int64_t interval_ms = protocol::kDefaultIntervalMs;
};

class HeartbeatService {
 public:
  HeartbeatService(fleet::Registry& registry, LivenessTable& liveness, events::EventLog& events,
                   HeartbeatSettings settings);

  // Errors: unauthorized (401), egress_ip_mismatch (403), bad_json / invalid_field / missing_field (400).
  Result<protocol::HeartbeatResponse> handle(std::string_view bearer_token, std::string_view source_ip,
                                             std::string_view body);
  // Sees every accepted heartbeat (the failover service); set once before serving.
  void set_observer(HeartbeatObserver* observer) { observer_ = observer; }

 private:
  std::vector<store::EventRecord> transition_events(const fleet::MemberContext& context,
                                                    const Transition& transition,
                                                    const protocol::Heartbeat& heartbeat);

  fleet::Registry& registry_;
  LivenessTable& liveness_;
  events::EventLog& events_;
  HeartbeatSettings settings_;
  HeartbeatObserver* observer_ = nullptr;
  events::EventThrottle refusals_{
      events::kRefusalEventPeriodMs};  // a misconfigured agent cannot flood the log
};

HostSummary summarise(const protocol::Heartbeat& heartbeat);

}  // namespace balctl::liveness
