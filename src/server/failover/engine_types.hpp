// Inputs and outputs of the failover decision engine. The engine is a pure state machine: the service
// feeds it facts with the current time and carries out the actions it returns (DNS changes, probes,
// events, alerts, persistence). Times are milliseconds of a monotonic clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/protocol.hpp"
#include "server/failover/probe_plan.hpp"

namespace balctl::failover {

struct PoolSettings {
  std::int64_t id = 0;
  std::string name;
  std::string hostname;  // the failover FQDN
  std::string preset = "haproxy";
  std::int64_t delay_ms = 10'000;
  std::int64_t grace_ms = 1'000;   // HAProxy may be down this long before failover
  std::string failback = "none";   // none | preferred
  std::int64_t failback_after_ms = 60'000;
  std::int64_t dwell_ms = 30'000;  // minimum time between automatic failovers
  std::int64_t settle_ms = 10'000;  // a member that came back must stay healthy this long
  std::int64_t interval_ms = 1'000;  // heartbeat interval
  std::int64_t ttl_s = 30;
  std::vector<int> probe_ports;    // empty: silent actives cannot be confirmed, failover at the delay
  bool dns_sync = false;           // publish the active's observed address instead of its configured one
  bool has_dns = false;            // a provider is bound; without one failover only changes roles
  bool dns_repair = true;          // a record found pointing elsewhere is put back to the active's address
  std::int64_t record_check_ms = 60'000;  // how often the record is read back (drift detection)
};

struct MemberSettings {
  std::int64_t id = 0;
  std::int64_t pool_id = 0;
  std::string hostname;
  std::string ipv4;
  std::string role = "standby";  // active | standby | maintenance
  std::int64_t priority = 100;
  bool enrolled = false;
};

// What the engine knows about a member's last report, restored after a restart.
struct LastSeen {
  std::int64_t member_id = 0;
  std::int64_t at_ms = 0;
  protocol::HaproxyState haproxy = protocol::HaproxyState::unknown;
  std::string observed_ip;
};

struct ProbeVote {
  std::int64_t probe_id = 0;
  std::int64_t voter_member_id = 0;  // 0: the control plane itself
  bool reachable = false;
};

// --- actions ------------------------------------------------------------------------------------------

struct ApplyDns {
  std::int64_t pool_id = 0;
  std::int64_t attempt_id = 0;  // echoed back in the result
  std::string fqdn;
  std::string ipv4;
  std::int64_t ttl_s = 30;
};

struct ProbeRequest {
  std::int64_t pool_id = 0;
  std::int64_t probe_id = 0;
  std::string target_ipv4;
  std::vector<int> ports;
  std::vector<std::int64_t> voters;  // standby member ids asked to probe; the control plane always probes
  ProbePlan plan;                    // connection attempts per port (probe_plan.hpp)
};

// Read the pool's record back from the provider and report it with on_record_observed (drift checks).
struct CheckRecord {
  std::int64_t pool_id = 0;
  std::int64_t epoch = 0;  // echoed back: an answer read before a later change is not judged
  std::string fqdn;
};

// The member was the active of a removal that waited for its cutover: remove it now.
struct RemoveMember {
  std::int64_t member_id = 0;
  std::string actor;
};

struct CommitRoles {
  std::int64_t pool_id = 0;
  std::int64_t active_member_id = 0;
  std::optional<std::int64_t> previous_active_id;
  std::string previous_role = "standby";  // standby, or maintenance for a planned cutover
  std::string published_ipv4;
};

struct SetRole {
  std::int64_t member_id = 0;
  std::string role;
};

struct PersistPending {
  std::int64_t pool_id = 0;
  std::optional<std::int64_t> target_member_id;  // none: nothing pending any more
  std::string reason;
  std::string actor;
};

struct RecordEvent {
  std::string kind;
  std::int64_t pool_id = 0;
  std::string member;
  std::string actor;
  std::string message;
};

// Alerts are not separate actions: the alert dispatcher watches recorded events (failover,
// failover_failed, pool_down, pool_recovered, dns_verify_failed, dns_drift, lost_contact_reachable,
// member_offline, member_online).
using Action =
    std::variant<ApplyDns, ProbeRequest, CommitRoles, SetRole, PersistPending, RecordEvent, CheckRecord, RemoveMember>;
using Actions = std::vector<Action>;

}  // namespace balctl::failover
