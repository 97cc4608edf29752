// The audit and liveness event log. Admin actions are written at once (record). So is an event a
// heartbeat caused (an HAProxy change, a refusal), with the liveness it reflects (record_with_states),
// before that heartbeat is answered: a kill -9 loses no such event an agent was told about. Only those
// rare heartbeats pay for the write; the others never wait for the disk. Liveness events (member_online,
// member_offline) are queued and written with the liveness batch whose state they announce (queue): they
// come in herds, and a kill -9 that loses them loses their state too, so they are raised again.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "server/store/records.hpp"
#include "server/store/store.hpp"

namespace balctl::events {

// Event kinds, as stored and shown by `balctl events`.
namespace kind {
inline constexpr const char* kPoolCreated = "pool_created";
inline constexpr const char* kPoolUpdated = "pool_updated";
inline constexpr const char* kPoolDeleted = "pool_deleted";
inline constexpr const char* kMemberAdded = "member_added";
inline constexpr const char* kMemberRemoved = "member_removed";
inline constexpr const char* kMemberRekeyed = "member_rekeyed";
inline constexpr const char* kMemberEnrolled = "member_enrolled";
inline constexpr const char* kMemberOnline = "member_online";
inline constexpr const char* kMemberOffline = "member_offline";
inline constexpr const char* kHeartbeatRefused = "heartbeat_refused";
inline constexpr const char* kEnrolmentRefused = "enrolment_refused";
// Written by schema migration 5 for duplicates it found in an existing database.
inline constexpr const char* kDuplicateHostname = "duplicate_hostname";
inline constexpr const char* kDuplicateIpv4 = "duplicate_ipv4";
inline constexpr const char* kHaproxyState = "haproxy_state";
inline constexpr const char* kTokenCreated = "token_created";
inline constexpr const char* kTokenRevoked = "token_revoked";
inline constexpr const char* kServerStarted = "server_started";
}  // namespace kind

class EventLog {
 public:
  explicit EventLog(store::Store& store) : store_(store) {}

  // Writes now; fills in the time when at_ms is 0.
  Status record(store::EventRecord event);
  // Writes the events and the liveness states in one transaction. If that fails, the events are queued
  // for the next batch instead (late, not lost while the process runs); the states are the liveness
  // table's, which still has them dirty.
  Status record_with_states(std::vector<store::EventRecord> events,
                            const std::vector<store::MemberStateRecord>& states);
  // Queues for the next batch.
  void queue(store::EventRecord event);
  std::vector<store::EventRecord> take_queued();
  // Puts a failed batch back in front of anything queued since.
  void requeue(std::vector<store::EventRecord> events);

  Result<std::vector<store::EventRecord>> list(const store::EventQuery& query);

  // Sees every event as it is recorded or queued (the alert dispatcher); must be quick. Set before use.
  void set_listener(std::function<void(const store::EventRecord&)> listener) { listener_ = std::move(listener); }

 private:
  store::Store& store_;
  void announce(store::EventRecord& event);  // stamps the time, logs, tells the listener
  void push_queued(store::EventRecord event);

  std::function<void(const store::EventRecord&)> listener_;
  std::mutex mutex_;
  std::vector<store::EventRecord> queued_;
};

}  // namespace balctl::events
