#include "server/liveness/liveness_table.hpp"

namespace balctl::liveness {

std::string_view to_string(MemberStatus status) {
  switch (status) {
    case MemberStatus::online: return "online";
    case MemberStatus::offline: return "offline";
    case MemberStatus::never_seen: break;
  }
  return "never_seen";
}

MemberStatus status_of(const Entry& entry, std::int64_t now_steady_ms, std::int64_t delay_ms) {
  if (entry.last_seen_wall_ms == 0) return MemberStatus::never_seen;
  return now_steady_ms - entry.last_seen_steady_ms <= delay_ms ? MemberStatus::online : MemberStatus::offline;
}

Transition LivenessTable::record(const Observation& o) {
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[o.member_id];
  Transition transition;
  transition.first_heartbeat = entry.last_seen_wall_ms == 0;
  transition.came_back = !transition.first_heartbeat && !entry.online;
  if (!transition.first_heartbeat) transition.silent_for_ms = o.steady_ms - entry.last_seen_steady_ms;
  transition.previous_haproxy = entry.haproxy;
  transition.haproxy_changed = !transition.first_heartbeat && entry.haproxy != o.haproxy;
  transition.report_due = transition.first_heartbeat || transition.haproxy_changed ||
                          o.steady_ms - entry.report_saved_steady_ms >= report_period_ms(o.member_id);

  entry.last_seen_steady_ms = o.steady_ms;
  entry.last_seen_wall_ms = o.wall_ms;
  entry.seq = o.seq;
  if (entry.agent_version != o.agent_version) entry.agent_version = o.agent_version;
  entry.haproxy = o.haproxy;
  if (entry.haproxy_version != o.haproxy_version) entry.haproxy_version = o.haproxy_version;
  if (entry.source_ip != o.source_ip) entry.source_ip = o.source_ip;
  entry.host = o.host;
  entry.online = true;
  entry.dirty = true;
  if (transition.report_due) entry.report_saved_steady_ms = o.steady_ms;
  return transition;
}

void LivenessTable::attach_report(std::int64_t member_id, std::string report_json) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(member_id);
  if (it != entries_.end()) it->second.pending_report = std::move(report_json);
}

std::optional<Entry> LivenessTable::get(std::int64_t member_id) const {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(member_id);
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

std::vector<WentOffline> LivenessTable::sweep(
    std::int64_t now_steady_ms, const std::function<std::optional<std::int64_t>(std::int64_t)>& delay_ms_of,
    std::int64_t min_delay_ms) {
  std::vector<WentOffline> went;
  std::lock_guard lock(mutex_);
  for (auto& [member_id, entry] : entries_) {
    if (!entry.online) continue;
    if (now_steady_ms - entry.last_seen_steady_ms <= min_delay_ms) continue;  // online whatever its delay
    const auto delay_ms = delay_ms_of(member_id);
    if (!delay_ms) continue;
    if (status_of(entry, now_steady_ms, *delay_ms) == MemberStatus::offline) {
      entry.online = false;
      entry.dirty = true;
      went.push_back({member_id, now_steady_ms - entry.last_seen_steady_ms});
    }
  }
  return went;
}

std::vector<store::MemberStateRecord> LivenessTable::take_dirty() {
  std::vector<store::MemberStateRecord> records;
  std::lock_guard lock(mutex_);
  for (auto& [member_id, entry] : entries_) {
    if (!entry.dirty) continue;
    entry.dirty = false;
    store::MemberStateRecord record;
    record.member_id = member_id;
    record.last_seen_ms = entry.last_seen_wall_ms;
    record.seq = entry.seq;
    record.agent_version = entry.agent_version;
    record.haproxy_state = std::string(protocol::to_string(entry.haproxy));
    record.source_ip = entry.source_ip;
    record.online = entry.online;
    if (entry.pending_report) {
      record.report_json = std::move(entry.pending_report);
      record.report_ms = entry.last_seen_wall_ms;
      entry.pending_report.reset();
    }
    records.push_back(std::move(record));
  }
  return records;
}

void LivenessTable::mark_dirty(const std::vector<store::MemberStateRecord>& records) {
  std::lock_guard lock(mutex_);
  for (const auto& record : records) {
    const auto it = entries_.find(record.member_id);
    if (it == entries_.end()) continue;
    it->second.dirty = true;
    if (record.report_json && !it->second.pending_report) it->second.pending_report = record.report_json;
  }
}

void LivenessTable::restore(const store::MemberStateRecord& record, std::int64_t now_steady_ms,
                            std::int64_t now_wall_ms) {
  std::lock_guard lock(mutex_);
  Entry& entry = entries_[record.member_id];
  entry.last_seen_wall_ms = record.last_seen_ms;
  entry.last_seen_steady_ms = now_steady_ms - std::max<std::int64_t>(0, now_wall_ms - record.last_seen_ms);
  entry.seq = record.seq;
  entry.agent_version = record.agent_version;
  entry.haproxy = protocol::parse_haproxy_state(record.haproxy_state).value_or(protocol::HaproxyState::unknown);
  entry.source_ip = record.source_ip;
  entry.online = record.online;
  // The stored report is the one from before the restart; refresh it one period from now. Counting
  // from the last heartbeat instead would make every member's report due at once after a long stop.
  entry.report_saved_steady_ms = now_steady_ms;
}

// Each member's own period in [interval / 2, interval], fixed by its id: members that enrolled or
// reconnected together do not persist 2 KB reports in the same second forever after. (At 10 000
// members and a 60 s interval, one second holding every report re-serialised 10 000 heartbeats on the
// I/O threads and stalled them for seconds.)
std::int64_t LivenessTable::report_period_ms(std::int64_t member_id) const {
  const std::int64_t half = report_interval_ms_ / 2;
  if (half <= 0) return report_interval_ms_;
  const auto spread = static_cast<std::int64_t>((static_cast<std::uint64_t>(member_id) * 2654435761ULL) %
                                                static_cast<std::uint64_t>(half + 1));
  return report_interval_ms_ - spread;
}

void LivenessTable::remove(std::int64_t member_id) {
  std::lock_guard lock(mutex_);
  entries_.erase(member_id);
}

std::size_t LivenessTable::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace balctl::liveness
