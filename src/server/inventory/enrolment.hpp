// Exchanges a one-time enrollment key for a member secret (POST /api/v1/agent/enrol).
#pragma once

#include <string>
#include <string_view>

#include "common/protocol.hpp"
#include "common/result.hpp"
#include "server/events/event_log.hpp"
#include "server/events/event_throttle.hpp"
#include "server/fleet/fleet_observer.hpp"
#include "server/fleet/registry.hpp"
#include "server/liveness/liveness_table.hpp"
#include "server/store/store.hpp"

namespace balctl::inventory {

struct EnrolmentSettings {
  std::int64_t interval_ms = protocol::kDefaultIntervalMs;
  std::string server_public_key;  // base64 Ed25519 job-signing key
};

class EnrolmentService {
 public:
  EnrolmentService(store::Store& store, fleet::Registry& registry, liveness::LivenessTable& liveness,
                   events::EventLog& events, EnrolmentSettings settings);

  // Errors: invalid_enrollment_key (401), enrollment_key_expired (401), enrollment_key_used (409),
  // hostname_mismatch (403), egress_ip_mismatch (403; recorded as an event, at most once a minute per
  // member).
  Result<protocol::EnrolResponse> enrol(const protocol::EnrolRequest& request, std::string_view source_ip);
  void set_observer(fleet::FleetObserver* observer) { observer_ = observer; }

 private:
  store::Store& store_;
  fleet::Registry& registry_;
  liveness::LivenessTable& liveness_;
  events::EventLog& events_;
  EnrolmentSettings settings_;
  fleet::FleetObserver* observer_ = nullptr;
  events::EventThrottle refusals_{events::kRefusalEventPeriodMs};
};

}  // namespace balctl::inventory
