// POST /api/v1/agent/heartbeat: authenticate the member from memory, parse and validate the report,
// update liveness, answer with the interval and pending jobs. No disk I/O on this path.
#pragma once

#include <cstdint>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "common/protocol.hpp"
#include "common/result.hpp"
#include "server/events/event_log.hpp"
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
  void queue_transition_events(const fleet::MemberContext& context, const Transition& transition,
                               const protocol::Heartbeat& heartbeat);
  // At most one refusal event per member per minute, so a misconfigured agent cannot flood the log.
  bool refusal_event_due(std::int64_t member_id, std::int64_t now_steady_ms);

  fleet::Registry& registry_;
  LivenessTable& liveness_;
  events::EventLog& events_;
  HeartbeatSettings settings_;
  HeartbeatObserver* observer_ = nullptr;
  std::mutex refusals_mutex_;
  std::unordered_map<std::int64_t, std::int64_t> last_refusal_event_ms_;
};

HostSummary summarise(const protocol::Heartbeat& heartbeat);

}  // namespace balctl::liveness
