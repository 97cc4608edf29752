#include "server/liveness/liveness_table.hpp"

#include <algorithm>
#include <utility>

namespace balctl::liveness {
namespace {

// Entries turned into records per hold of the lock in take_dirty (about 0.1-0.3 ms of work).
constexpr std::size_t kTakeChunk = 256;

store::MemberStateRecord liveness_record(std::int64_t member_id, const Entry& entry) {
  store::MemberStateRecord record;
  record.member_id = member_id;
  record.last_seen_ms = entry.last_seen_wall_ms;
  record.seq = entry.seq;
  record.agent_version = entry.agent_version;
  record.haproxy_state = std::string(protocol::to_string(entry.haproxy));
  record.haproxy_version = entry.haproxy_version;
  record.source_ip = entry.source_ip;
  record.online = entry.online;
  return record;
}

// Moves the pending report out: once taken, it is the store's to write (or the caller's to put back).
store::MemberStateRecord state_record(std::int64_t member_id, Entry& entry) {
  store::MemberStateRecord record = liveness_record(member_id, entry);
  if (entry.pending_report) {
    record.report_json = std::move(entry.pending_report);
    record.report_ms = entry.last_seen_wall_ms;
    entry.pending_report.reset();
  }
  return record;
}

// Empties the entry's pending announcement into a CameOnline, if it has one.
std::optional<CameOnline> take_pending(std::int64_t member_id, Entry& entry) {
  if (entry.came_online.wall_ms == 0) return std::nullopt;
  const PendingOnline pending = std::exchange(entry.came_online, PendingOnline{});
  return CameOnline{member_id, pending.wall_ms, pending.first, pending.silent_for_ms, entry.agent_version,
                    pending.haproxy};
}

}  // namespace

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
  if (entry.haproxy_stats_error != o.haproxy_stats_error) entry.haproxy_stats_error = o.haproxy_stats_error;
  if (entry.source_ip != o.source_ip) entry.source_ip = o.source_ip;
  entry.host = o.host;
  entry.online = true;
  // One pending is enough: the next batch takes it together with any offline its sweep decides, so a
  // member cannot come back again before the announcement of its last return is on its way.
  if ((transition.first_heartbeat || transition.came_back) && entry.came_online.wall_ms == 0) {
    entry.came_online = {std::max<std::int64_t>(o.wall_ms, 1), transition.silent_for_ms,
                         transition.first_heartbeat, o.haproxy};
  }
  mark_dirty_locked(o.member_id, entry);
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

std::optional<store::MemberStateRecord> LivenessTable::state_of(std::int64_t member_id) const {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(member_id);
  if (it == entries_.end()) return std::nullopt;
  return liveness_record(member_id, it->second);
}

std::optional<CameOnline> LivenessTable::take_came_online(std::int64_t member_id) {
  std::lock_guard lock(mutex_);
  const auto it = entries_.find(member_id);
  if (it == entries_.end()) return std::nullopt;
  return take_pending(member_id, it->second);
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
      mark_dirty_locked(member_id, entry);
      went.push_back({member_id, now_steady_ms - entry.last_seen_steady_ms});
    }
  }
  return went;
}

// Called by the persister once a second with up to one entry per member dirty. Holding the lock that
// every heartbeat needs while 10 000 records are built stalled both I/O threads for 10-20 ms each second
// (measured); instead the dirty ids are swapped out in one step and the records are built a chunk at a
// time, so a heartbeat waits at most for one chunk. An entry re-recorded meanwhile is still dirty and
// not queued again, so its chunk picks up its newest values.
std::vector<store::MemberStateRecord> LivenessTable::take_dirty(std::vector<CameOnline>* came_online) {
  std::lock_guard take_lock(take_mutex_);
  {
    std::lock_guard lock(mutex_);
    taking_.swap(dirty_ids_);  // dirty_ids_ gets the emptied spare and keeps its capacity
  }
  // In key order the store's updates walk its table's pages in order instead of at random.
  std::sort(taking_.begin(), taking_.end());
  std::vector<store::MemberStateRecord> records;
  records.reserve(taking_.size());
  for (std::size_t begin = 0; begin < taking_.size(); begin += kTakeChunk) {
    const std::size_t end = std::min(taking_.size(), begin + kTakeChunk);
    std::lock_guard lock(mutex_);
    for (std::size_t i = begin; i < end; ++i) {
      const auto it = entries_.find(taking_[i]);
      if (it == entries_.end() || !it->second.dirty) continue;  // removed, or removed and added again
      it->second.dirty = false;
      records.push_back(state_record(it->first, it->second));
      if (came_online == nullptr) continue;
      if (auto came = take_pending(it->first, it->second)) came_online->push_back(std::move(*came));
    }
  }
  taking_.clear();
  return records;
}

void LivenessTable::mark_dirty(const std::vector<store::MemberStateRecord>& records) {
  std::lock_guard lock(mutex_);
  for (const auto& record : records) {
    const auto it = entries_.find(record.member_id);
    if (it == entries_.end()) continue;
    mark_dirty_locked(record.member_id, it->second);
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
  entry.haproxy_version = record.haproxy_version;
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

void LivenessTable::mark_dirty_locked(std::int64_t member_id, Entry& entry) {
  if (entry.dirty) return;
  entry.dirty = true;
  dirty_ids_.push_back(member_id);
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
