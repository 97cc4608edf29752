// The in-memory record of when each member was last heard from and what it last said. A heartbeat
// updates it under one short lock and never waits for the disk: dirty entries are collected by the
// persister and written in batches (group commit).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/protocol.hpp"
#include "server/store/records.hpp"

namespace balctl::liveness {

enum class MemberStatus { never_seen, online, offline };
std::string_view to_string(MemberStatus status);

// The few host figures shown in lists; the full report goes to the store.
struct HostSummary {
  std::optional<double> uptime_s;
  std::optional<double> load1;
  std::optional<double> cpu_pct;
  std::optional<double> memory_used_pct;
};

struct Observation {
  std::int64_t member_id = 0;
  std::int64_t seq = 0;
  std::string agent_version;
  protocol::HaproxyState haproxy = protocol::HaproxyState::unknown;
  std::string haproxy_version;
  std::string haproxy_stats_error;  // running but the stats socket gave nothing: why
  std::string source_ip;
  HostSummary host;
  std::int64_t steady_ms = 0;
  std::int64_t wall_ms = 0;
};

// A member came online: its first heartbeat, or heartbeats again after it was marked offline. The
// member_online event is written by the persister in the batch that writes the state it describes, so a
// kill -9 loses both or neither, and if both, the member's next heartbeat says it again. (Written at once
// instead, a herd of them, say 2 000 members enrolled at once, stalled the I/O threads for seconds.)
struct CameOnline {
  std::int64_t member_id = 0;
  std::int64_t wall_ms = 0;
  bool first = false;
  std::int64_t silent_for_ms = 0;
  std::string agent_version;
  protocol::HaproxyState haproxy = protocol::HaproxyState::unknown;
};

// What an entry keeps of a CameOnline until it is taken: 24 bytes in every entry (an optional CameOnline
// would be 80, counted in bench/heartbeat-load's bytes_per_member), so the agent version is the entry's
// own when the announcement is taken (it changes only when the agent is replaced).
struct PendingOnline {
  std::int64_t wall_ms = 0;  // 0: nothing pending
  std::int64_t silent_for_ms = 0;
  bool first = false;
  protocol::HaproxyState haproxy = protocol::HaproxyState::unknown;  // as the announcing heartbeat said
};

struct Entry {
  std::int64_t last_seen_steady_ms = 0;
  std::int64_t last_seen_wall_ms = 0;  // 0: never seen
  std::int64_t seq = 0;
  std::string agent_version;
  protocol::HaproxyState haproxy = protocol::HaproxyState::unknown;
  std::string haproxy_version;
  std::string haproxy_stats_error;  // empty unless degraded (short strings live in the object itself)
  std::string source_ip;
  HostSummary host;
  bool online = false;  // the state the last liveness event announced
  bool dirty = false;
  std::int64_t report_saved_steady_ms = 0;
  std::optional<std::string> pending_report;
  PendingOnline came_online;  // not yet taken by the persister
};

// What a heartbeat changed; drives events now and failover decisions later.
struct Transition {
  bool first_heartbeat = false;
  bool came_back = false;
  std::int64_t silent_for_ms = 0;
  bool haproxy_changed = false;
  protocol::HaproxyState previous_haproxy = protocol::HaproxyState::unknown;
  bool report_due = false;  // the caller should attach the full report for persisting
};

struct WentOffline {
  std::int64_t member_id = 0;
  std::int64_t silent_for_ms = 0;
};

MemberStatus status_of(const Entry& entry, std::int64_t now_steady_ms, std::int64_t delay_ms);

class LivenessTable {
 public:
  // Full reports are persisted every `report_interval_ms` at most and every half of it at least (each
  // member has its own period in between, so that reports spread out), and at once on a change of
  // HAProxy state.
  explicit LivenessTable(std::int64_t report_interval_ms = 10'000) : report_interval_ms_(report_interval_ms) {}

  Transition record(const Observation& observation);
  void attach_report(std::int64_t member_id, std::string report_json);
  std::optional<Entry> get(std::int64_t member_id) const;
  // The member's liveness as the store keeps it, without the pending report; the entry stays dirty, so
  // the next batch writes it too.
  std::optional<store::MemberStateRecord> state_of(std::int64_t member_id) const;

  // Marks members silent for longer than their delay as offline; returns the ones that just went.
  // `min_delay_ms` is a lower bound of every delay `delay_ms_of` can return: members silent for no longer
  // than it cannot be offline, so they are skipped without calling `delay_ms_of` (the sweep holds the
  // lock heartbeats need, and in a healthy fleet nearly every member is such a member).
  std::vector<WentOffline> sweep(std::int64_t now_steady_ms,
                                 const std::function<std::optional<std::int64_t>(std::int64_t)>& delay_ms_of,
                                 std::int64_t min_delay_ms = 0);

  // The dirty entries as records, each once; they are clean afterwards. One caller at a time (the
  // persister); heartbeats are held up for at most one chunk of the work, never the whole table.
  // `came_online`, when given, receives the pending announcements of the entries taken, in the same hold
  // of the lock as their state; without it they stay pending.
  std::vector<store::MemberStateRecord> take_dirty(std::vector<CameOnline>* came_online = nullptr);
  // Takes the member's pending announcement, if the persister has not (for a heartbeat that writes its
  // events at once and wants it in the same write).
  std::optional<CameOnline> take_came_online(std::int64_t member_id);
  // Puts records back after a failed write so the next batch retries them (their announcements are the
  // caller's to retry).
  void mark_dirty(const std::vector<store::MemberStateRecord>& records);
  void restore(const store::MemberStateRecord& record, std::int64_t now_steady_ms, std::int64_t now_wall_ms);
  void remove(std::int64_t member_id);
  std::size_t size() const;
  // How long after its last persisted report a member's next one is due.
  std::int64_t report_period_ms(std::int64_t member_id) const;

 private:
  // Sets the dirty flag and queues the id for take_dirty unless it is queued already. Needs mutex_.
  void mark_dirty_locked(std::int64_t member_id, Entry& entry);

  const std::int64_t report_interval_ms_;
  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, Entry> entries_;
  std::vector<std::int64_t> dirty_ids_;  // every entry with dirty set (and maybe ids removed since)
  std::mutex take_mutex_;                // serialises take_dirty, which owns taking_
  std::vector<std::int64_t> taking_;
};

}  // namespace balctl::liveness
