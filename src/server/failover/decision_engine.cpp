// Automatic decisions: health tracking, judging the active, confirmation by probes, switching the record.
// Operator requests and configuration are in engine_requests.cpp.
#include "server/failover/decision_engine.hpp"

#include <algorithm>

namespace balctl::failover {
namespace {

constexpr std::int64_t kMaxRetryMs = 30'000;
// After the delay expires, outstanding probe votes get this long before we decide with what we have.
constexpr std::int64_t kVoteWaitMs = 500;

std::int64_t retry_delay(int attempts) {
  const int exponent = std::clamp(attempts - 1, 0, 5);
  return std::min<std::int64_t>(1000LL << exponent, kMaxRetryMs);
}

std::string seconds(std::int64_t ms) { return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + " s"; }

}  // namespace

// --- health -------------------------------------------------------------------------------------------

bool DecisionEngine::fresh(const Member& m, const Pool& p, std::int64_t now) const {
  return m.last_heartbeat != kNever && now - m.last_heartbeat <= p.s.delay_ms;
}

bool DecisionEngine::haproxy_ok(const Member& m, const Pool& p) const {
  return p.s.preset == "generic" || m.haproxy == protocol::HaproxyState::running;
}

bool DecisionEngine::healthy(const Member& m, const Pool& p, std::int64_t now) const {
  return m.s.enrolled && fresh(m, p, now) && haproxy_ok(m, p);
}

bool DecisionEngine::ready(const Member& m, const Pool& p, std::int64_t now) const {
  return unready_reason(m, p, now).empty();
}

std::string DecisionEngine::unready_reason(const Member& m, const Pool& p, std::int64_t now) const {
  if (!m.s.enrolled) return "not enrolled";
  if (m.s.role == "maintenance") return "in maintenance";
  if (m.last_heartbeat == kNever) return "never heard from";
  const auto silence = now - m.last_heartbeat;
  if (silence > 3 * p.s.interval_ms || !fresh(m, p, now)) return "silent for " + seconds(silence);
  if (!haproxy_ok(m, p)) return "HAProxy " + std::string(protocol::to_string(m.haproxy));
  if (m.healthy_since != kNever && now - m.healthy_since < p.s.settle_ms) {
    return "settling: healthy for " + seconds(now - m.healthy_since) + " of " + seconds(p.s.settle_ms);
  }
  if (p.s.dns_sync && publish_address(p, m).empty()) return "no observed IPv4 address to publish";
  return {};
}

// Keeps healthy_since: the start of the current healthy streak. A member seen for the first time since
// the engine started counts as settled; one that comes back after being unhealthy must settle.
void DecisionEngine::track_health(Member& m, const Pool& p, std::int64_t now) {
  const bool is_healthy = healthy(m, p, now);
  if (is_healthy && !m.was_healthy) m.healthy_since = m.seen_since_start ? now : kNever;
  m.was_healthy = is_healthy;
}

const DecisionEngine::Member* DecisionEngine::best_standby(const Pool& p, std::int64_t now,
                                                            std::optional<std::int64_t> exclude) const {
  const Member* best = nullptr;
  for (const auto id : member_ids(p.s.id)) {
    const Member& m = members_.at(id);
    if ((p.active && *p.active == id) || (exclude && *exclude == id)) continue;
    if (!ready(m, p, now)) continue;
    if (best == nullptr || m.s.priority > best->s.priority ||
        (m.s.priority == best->s.priority && m.last_heartbeat > best->last_heartbeat)) {
      best = &m;
    }
  }
  return best;
}

std::string DecisionEngine::publish_address(const Pool& p, const Member& m) const {
  if (!p.s.dns_sync) return m.s.ipv4;
  return m.observed_ip.find(':') == std::string::npos ? m.observed_ip : std::string();
}

// --- inputs ---------------------------------------------------------------------------------------------

Actions DecisionEngine::on_heartbeat(std::int64_t member_id, protocol::HaproxyState haproxy,
                                     const std::string& observed_ip, std::int64_t now) {
  Actions out;
  const auto it = members_.find(member_id);
  if (it == members_.end()) return out;
  Member& m = it->second;
  const auto pool = pools_.find(m.s.pool_id);
  if (pool == pools_.end()) return out;
  if (haproxy != protocol::HaproxyState::running) {
    if (m.haproxy == protocol::HaproxyState::running || m.haproxy_down_since == kNever) m.haproxy_down_since = now;
  } else {
    m.haproxy_down_since = kNever;
  }
  if (!m.seen_since_start) m.was_healthy = false;
  m.last_heartbeat = now;
  m.haproxy = haproxy;
  if (!observed_ip.empty()) m.observed_ip = observed_ip;
  track_health(m, pool->second, now);
  m.seen_since_start = true;
  evaluate(pool->second, now, out);
  return out;
}

Actions DecisionEngine::on_tick(std::int64_t now) { return on_tick(now, pool_ids()); }

Actions DecisionEngine::on_tick(std::int64_t now, std::span<const std::int64_t> pool_ids) {
  Actions out;
  for (const auto id : pool_ids) {
    const auto it = pools_.find(id);
    if (it == pools_.end()) continue;
    for (const auto member_id : member_ids(id)) track_health(members_.at(member_id), it->second, now);
    evaluate(it->second, now, out);
  }
  return out;
}

std::vector<std::int64_t> DecisionEngine::pool_ids() const {
  std::vector<std::int64_t> ids;
  ids.reserve(pools_.size());
  for (const auto& [id, pool] : pools_) ids.push_back(id);
  return ids;
}

Actions DecisionEngine::on_probe_vote(std::int64_t pool_id, const ProbeVote& vote, std::int64_t now) {
  Actions out;
  const auto it = pools_.find(pool_id);
  if (it == pools_.end() || !it->second.confirming) return out;
  auto& c = *it->second.confirming;
  if (vote.probe_id != c.probe_id || c.voted.count(vote.voter_member_id) != 0) return out;
  if (vote.voter_member_id != 0 && c.asked.count(vote.voter_member_id) == 0) return out;
  c.voted.insert(vote.voter_member_id);
  (vote.reachable ? c.reachable : c.unreachable) += 1;
  evaluate(it->second, now, out);
  return out;
}

Actions DecisionEngine::on_dns_result(std::int64_t pool_id, std::int64_t attempt_id, const Status& result,
                                      std::int64_t now) {
  Actions out;
  const auto it = pools_.find(pool_id);
  if (it == pools_.end()) return out;
  Pool& p = it->second;
  if (p.sync && p.sync->attempt_id == attempt_id) {
    p.sync->in_flight = false;
    if (result) {
      event(out, p, "dns_synced", name_of(p.active), "system",
            p.s.hostname + " now points at the active's observed address " + p.sync->ipv4);
      p.published_ip = p.sync->ipv4;
      p.sync.reset();
    } else {
      p.sync->next_attempt = now + retry_delay(p.sync->attempts);
      event(out, p, "dns_sync_failed", name_of(p.active), "system", result.error().message);
    }
    return out;
  }
  if (!p.switching || p.switching->attempt_id != attempt_id) return out;
  Switch& sw = *p.switching;
  sw.in_flight = false;
  if (result) {
    commit_switch(p, now, out);
    return out;
  }
  sw.next_attempt = now + retry_delay(sw.attempts);
  const std::string kind = result.error().code == "dns_verify_failed" ? "dns_verify_failed" : "failover_failed";
  const std::string message = "could not point " + p.s.hostname + " at " + name_of(sw.target) + " (" + sw.ipv4 +
                              "), attempt " + std::to_string(sw.attempts) + ": " + result.error().message +
                              "; retrying in " + seconds(sw.next_attempt - now);
  event(out, p, kind, name_of(sw.target), sw.actor, message);
  return out;
}

// --- automatic decisions -----------------------------------------------------------------------------

void DecisionEngine::evaluate(Pool& p, std::int64_t now, Actions& out) {
  if (p.switching) {
    drive_switch(p, now, out);
    return;
  }
  if (!p.active) return;
  const auto active_it = members_.find(*p.active);
  if (active_it == members_.end()) return;
  const Member& active = active_it->second;
  // After a (re)start every member gets one delay to report before silence is judged (the silence may be
  // the control plane's own downtime). An explicit report of a stopped HAProxy is fresh evidence and is
  // acted on at once.
  const bool in_start_grace = now - started_ms_ < p.s.delay_ms;
  // After an operator forced the record onto a member, automatic decisions wait for the dwell time
  // instead of moving it straight back.
  if (p.hold_until != kNever && now < p.hold_until) return;

  if (fresh(active, p, now)) {
    if (p.lost_contact_noted) {
      event(out, p, "contact_restored", active.s.hostname, "system", "heartbeats from the active resumed");
    }
    p.lost_contact_noted = false;
    p.lost_contact_since = kNever;
    if (!haproxy_ok(active, p) && active.haproxy_down_since != kNever &&
        now - active.haproxy_down_since >= p.s.grace_ms) {
      p.confirming.reset();
      fail_over(p, "HAProxy " + std::string(protocol::to_string(active.haproxy)) + " on the active for " +
                       seconds(now - active.haproxy_down_since),
                now, out);
      return;
    }
    // Probing already when one heartbeat is overdue: the votes are in by the time the delay expires.
    const auto silence = now - active.last_heartbeat;
    if (!p.s.probe_ports.empty() && silence >= p.s.interval_ms * 3 / 2 && !p.confirming && !in_start_grace) {
      start_confirmation(p, active, now, out);
    } else if (silence < p.s.interval_ms * 3 / 2) {
      p.confirming.reset();
    }
    if (haproxy_ok(active, p)) {
      p.down_alerted = false;
      if (!in_start_grace) consider_failback(p, active, now, out);
      consider_dns_sync(p, active, now, out);
    }
    return;
  }
  if (!in_start_grace) judge_silent_active(p, active, now, out);
}

void DecisionEngine::judge_silent_active(Pool& p, const Member& active, std::int64_t now, Actions& out) {
  const auto silence = now - active.last_heartbeat;
  const std::string why = active.last_heartbeat == kNever ? "the active has never reported"
                                                          : "no heartbeat from the active for " + seconds(silence);
  if (p.s.probe_ports.empty()) {
    fail_over(p, why, now, out);
    return;
  }
  if (!p.confirming) start_confirmation(p, active, now, out);
  auto& c = *p.confirming;
  const int voters = 1 + static_cast<int>(c.asked.size());
  const int heard = static_cast<int>(c.voted.size());
  const bool reachable_majority = c.reachable * 2 > voters;
  const bool unreachable_settled = (c.reachable + (voters - heard)) * 2 <= voters;
  const auto overdue = active.last_heartbeat == kNever ? now - c.started : silence - p.s.delay_ms;
  if (reachable_majority) {
    if (!p.lost_contact_noted) {
      const std::string message = "control plane lost contact with " + active.s.hostname +
                                  ", service still reachable from " + std::to_string(c.reachable) + " of " +
                                  std::to_string(voters) + " vantage points; not failing over";
      event(out, p, "lost_contact_reachable", active.s.hostname, "system", message);
      p.lost_contact_noted = true;
      p.lost_contact_since = now;
    }
    // Keep checking: the service may fail later while its agent stays silent.
    if (now - c.started >= std::max<std::int64_t>(p.s.delay_ms, 5000)) start_confirmation(p, active, now, out);
    return;
  }
  if (unreachable_settled || overdue >= kVoteWaitMs || heard == voters) {
    fail_over(p,
              why + "; the service is unreachable from " + std::to_string(c.unreachable) + " of " +
                  std::to_string(voters) + " vantage points (" + std::to_string(voters - heard) + " did not answer)",
              now, out);
  }
}

void DecisionEngine::start_confirmation(Pool& p, const Member& active, std::int64_t now, Actions& out) {
  Confirmation c;
  c.probe_id = next_id_++;
  c.started = now;
  for (const auto id : member_ids(p.s.id)) {
    if (id != active.s.id && healthy(members_.at(id), p, now)) c.asked.insert(id);
  }
  out.emplace_back(ProbeRequest{p.s.id, c.probe_id, active.s.ipv4, p.s.probe_ports,
                                std::vector<std::int64_t>(c.asked.begin(), c.asked.end())});
  p.confirming = std::make_unique<Confirmation>(std::move(c));
}

void DecisionEngine::consider_failback(Pool& p, const Member& active, std::int64_t now, Actions& out) {
  if (p.s.failback != "preferred") return;
  const Member* preferred = nullptr;
  for (const auto id : member_ids(p.s.id)) {
    const Member& m = members_.at(id);
    if (!m.s.enrolled || m.s.role == "maintenance") continue;
    if (preferred == nullptr || m.s.priority > preferred->s.priority) preferred = &m;
  }
  if (preferred == nullptr || preferred->s.id == active.s.id || preferred->s.priority <= active.s.priority) return;
  if (!ready(*preferred, p, now)) return;
  const auto healthy_for = preferred->healthy_since == kNever ? now - started_ms_ : now - preferred->healthy_since;
  if (healthy_for < p.s.failback_after_ms) return;
  if (p.last_failover != kNever && now - p.last_failover < p.s.dwell_ms) return;
  start_switch(p, *preferred, "fail-back to the preferred member after " + seconds(healthy_for) + " of health",
               "system", false, false, now, out);
}

void DecisionEngine::consider_dns_sync(Pool& p, const Member& active, std::int64_t now, Actions& out) {
  if (!p.s.dns_sync || !p.s.has_dns) return;
  const std::string address = publish_address(p, active);
  if (address.empty() || address == p.published_ip) {
    if (p.sync && !p.sync->in_flight) p.sync.reset();
    return;
  }
  if (!p.sync || p.sync->ipv4 != address) p.sync = std::make_unique<Sync>(Sync{next_id_++, address, false, 0, now});
  if (p.sync->in_flight || now < p.sync->next_attempt) return;
  p.sync->in_flight = true;
  ++p.sync->attempts;
  out.emplace_back(ApplyDns{p.s.id, p.sync->attempt_id, p.s.hostname, address, p.s.ttl_s});
}

void DecisionEngine::fail_over(Pool& p, const std::string& reason, std::int64_t now, Actions& out) {
  const Member* target = best_standby(p, now, std::nullopt);
  if (target == nullptr) {
    if (!p.down_alerted) {
      const std::string message = "pool down, no failover-ready standby (" + reason + "); keeping " + p.s.hostname +
                                  " as it is and failing over as soon as a standby is ready";
      event(out, p, "pool_down", name_of(p.active), "system", message);
      p.down_alerted = true;
    }
    return;
  }
  p.down_alerted = false;
  start_switch(p, *target, reason, "system", false, false, now, out);
}

void DecisionEngine::start_switch(Pool& p, const Member& target, std::string reason, std::string actor, bool planned,
                                  bool forced, std::int64_t now, Actions& out) {
  Switch sw;
  sw.target = target.s.id;
  sw.attempt_id = next_id_++;
  sw.ipv4 = publish_address(p, target);
  sw.reason = std::move(reason);
  sw.actor = std::move(actor);
  sw.planned_maintenance = planned;
  sw.forced = forced;
  sw.started = now;
  sw.next_attempt = now;
  p.confirming.reset();
  p.sync.reset();
  out.emplace_back(PersistPending{p.s.id, sw.target, sw.reason, sw.actor});
  event(out, p, "failover_started", target.s.hostname, sw.actor,
        "moving " + p.s.hostname + " from " + name_of(p.active) + " to " + target.s.hostname + " (" + sw.ipv4 +
            "): " + sw.reason);
  p.switching = std::make_unique<Switch>(std::move(sw));
  drive_switch(p, now, out);
}

void DecisionEngine::drive_switch(Pool& p, std::int64_t now, Actions& out) {
  Switch& sw = *p.switching;
  const auto target = members_.find(sw.target);
  if (target == members_.end() || (!sw.forced && !ready(target->second, p, now) && !sw.in_flight)) {
    // The chosen standby failed before the record moved: choose again.
    const std::string why = target == members_.end() ? "removed" : unready_reason(target->second, p, now);
    event(out, p, "failover_retargeted", name_of(sw.target), sw.actor, "target " + name_of(sw.target) + " is " + why);
    const std::string reason = sw.reason;
    p.switching.reset();
    out.emplace_back(PersistPending{p.s.id, std::nullopt, {}, {}});
    fail_over(p, reason, now, out);
    return;
  }
  if (!p.s.has_dns) {
    commit_switch(p, now, out);
    return;
  }
  if (sw.in_flight || now < sw.next_attempt) return;
  sw.in_flight = true;
  ++sw.attempts;
  out.emplace_back(ApplyDns{p.s.id, sw.attempt_id, p.s.hostname, sw.ipv4, p.s.ttl_s});
}

void DecisionEngine::commit_switch(Pool& p, std::int64_t now, Actions& out) {
  const Switch sw = *p.switching;
  const auto previous = p.active;
  const std::string previous_role = sw.planned_maintenance ? "maintenance" : "standby";
  out.emplace_back(CommitRoles{p.s.id, sw.target, previous, previous_role, sw.ipv4});
  if (previous && members_.count(*previous) != 0) members_.at(*previous).s.role = previous_role;
  members_.at(sw.target).s.role = "active";
  p.active = sw.target;
  p.switching.reset();
  p.last_failover = now;
  p.published_ip = sw.ipv4;
  p.lost_contact_noted = false;
  out.emplace_back(PersistPending{p.s.id, std::nullopt, {}, {}});
  if (sw.forced && sw.actor != "system") {
    p.hold_until = now + p.s.dwell_ms;
    event(out, p, "automatic_failover_held", name_of(sw.target), sw.actor,
          "forced cutover: automatic failover is held for " + seconds(p.s.dwell_ms) + " (the pool's dwell time)");
  }
  const std::string how = p.s.has_dns ? "verified at the authority" : "no DNS provider is bound, only roles changed";
  const std::string message = p.s.hostname + " now points at " + name_of(sw.target) + " (" + sw.ipv4 + "), " + how +
                              ", " + seconds(now - sw.started) + " after the decision; was " + name_of(previous) +
                              "; reason: " + sw.reason;
  event(out, p, "failover", name_of(sw.target), sw.actor, message);
}

void DecisionEngine::event(Actions& out, const Pool& p, const std::string& kind, const std::string& member,
                           const std::string& actor, const std::string& message) const {
  out.emplace_back(RecordEvent{kind, p.s.id, member, actor, message});
}

std::string DecisionEngine::name_of(std::optional<std::int64_t> member_id) const {
  if (!member_id) return "nobody";
  const auto it = members_.find(*member_id);
  return it == members_.end() ? "member " + std::to_string(*member_id) : it->second.s.hostname;
}

}  // namespace balctl::failover
