// Automatic decisions: health tracking, judging the active, switching the record. Confirmation of a
// silent active is in engine_confirmation.cpp, the record's read-backs and republishing in
// engine_record.cpp, configuration and operator requests in engine_requests.cpp.
#include "server/failover/decision_engine.hpp"

#include <algorithm>

#include "server/failover/engine_support.hpp"

namespace balctl::failover {
namespace {

using detail::retry_delay;
using detail::seconds;

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

Actions DecisionEngine::on_dns_result(std::int64_t pool_id, std::int64_t attempt_id, const Status& result,
                                      std::int64_t now) {
  Actions out;
  const auto it = pools_.find(pool_id);
  if (it == pools_.end()) return out;
  Pool& p = it->second;
  if (p.republish && p.republish->attempt_id == attempt_id) {
    finish_republish(p, result, now, out);
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
  sw.last_error = result.error().message;
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
  // After an operator forced the record onto a member, automatic decisions wait for the dwell time
  // instead of moving it straight back.
  if (p.hold_until != kNever && now < p.hold_until) return;
  // After a (re)start every member gets one delay to report before silence is judged (the silence may be
  // the control plane's own downtime). An explicit report of a stopped HAProxy is fresh evidence and is
  // acted on at once.
  const bool in_start_grace = now - started_ms_ < p.s.delay_ms;
  if (!p.active) {
    if (!in_start_grace) promote_if_no_active(p, now, out);
    return;
  }
  const auto active_it = members_.find(*p.active);
  if (active_it == members_.end()) return;
  Member& active = active_it->second;
  if (fresh(active, p, now)) {
    evaluate_fresh_active(p, active, in_start_grace, now, out);
    return;
  }
  if (in_start_grace) return;
  // An active that never reported is given one delay from when it was first judged: its agent may be
  // starting right after enrolment (a pool_down 60 ms after the first enrolment helps nobody).
  if (active.last_heartbeat == kNever) {
    if (active.first_judged == kNever) active.first_judged = now;
    if (now - active.first_judged < p.s.delay_ms) return;
  }
  judge_silent_active(p, active, now, out);
}

void DecisionEngine::evaluate_fresh_active(Pool& p, const Member& active, bool in_start_grace, std::int64_t now,
                                           Actions& out) {
  const auto silence = now - active.last_heartbeat;
  if (silence < p.s.interval_ms * 3 / 2) {
    if (p.lost_contact_noted) {
      event(out, p, "contact_restored", active.s.hostname, "system", "heartbeats from the active resumed");
    }
    p.lost_contact_noted = false;
    p.lost_contact_since = kNever;
    p.confirming.reset();
  } else if (!p.s.probe_ports.empty() && !in_start_grace) {
    // Probing already when one heartbeat is overdue: a verdict is in by the time the delay expires.
    advance_confirmation(p, active, now, out);
  }
  if (!haproxy_ok(active, p)) {
    if (active.haproxy_down_since != kNever && now - active.haproxy_down_since >= p.s.grace_ms) {
      p.confirming.reset();
      fail_over(p, "HAProxy " + std::string(protocol::to_string(active.haproxy)) + " on the active for " +
                       seconds(now - active.haproxy_down_since),
                now, out);
    }
    return;
  }
  note_recovered(p, "the active " + active.s.hostname + " is healthy again", out);
  if (!in_start_grace) consider_failback(p, active, now, out);
  if (!p.switching) consider_record(p, active, now, out);
}

// A pool left without an active (its active was removed with --force, or never chosen) takes its best
// ready standby, so that the record follows someone who serves.
void DecisionEngine::promote_if_no_active(Pool& p, std::int64_t now, Actions& out) {
  const Member* target = best_standby(p, now, std::nullopt);
  if (target == nullptr) return;
  start_switch(p, *target, "the pool has no active member", "system", {}, now, out);
}

void DecisionEngine::note_recovered(Pool& p, const std::string& how, Actions& out) {
  if (!p.down_alerted) return;
  p.down_alerted = false;
  event(out, p, "pool_recovered", name_of(p.active), "system", p.s.hostname + " is served again: " + how);
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
               "system", {}, now, out);
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
  start_switch(p, *target, reason, "system", {}, now, out);
}

void DecisionEngine::start_switch(Pool& p, const Member& target, std::string reason, std::string actor,
                                  SwitchOptions options, std::int64_t now, Actions& out) {
  Switch sw;
  sw.target = target.s.id;
  sw.attempt_id = next_id_++;
  sw.ipv4 = publish_address(p, target);
  sw.reason = std::move(reason);
  sw.actor = std::move(actor);
  sw.planned_maintenance = options.planned;
  sw.remove_previous = options.remove_previous;
  sw.forced = options.forced;
  sw.started = now;
  sw.next_attempt = now;
  p.confirming.reset();
  p.republish.reset();
  ++p.record_epoch;
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
    // The chosen standby failed before the record moved: choose again, keeping what the switch was for.
    const std::string why = target == members_.end() ? "removed" : unready_reason(target->second, p, now);
    event(out, p, "failover_retargeted", name_of(sw.target), sw.actor, "target " + name_of(sw.target) + " is " + why);
    const Switch old = std::move(sw);
    p.switching.reset();
    out.emplace_back(PersistPending{p.s.id, std::nullopt, {}, {}});
    const Member* next = best_standby(p, now, std::nullopt);
    if (next == nullptr) {
      fail_over(p, old.reason, now, out);  // raises pool_down
      return;
    }
    start_switch(p, *next, old.reason, old.actor, {old.planned_maintenance, old.remove_previous, false}, now, out);
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
  p.lost_contact_noted = false;
  if (p.s.has_dns) record_published(p, sw.ipv4, now);
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
  note_recovered(p, "failed over to " + name_of(sw.target), out);
  if (previous && sw.planned_maintenance) {
    event(out, p, "maintenance_on", name_of(previous), sw.actor,
          name_of(previous) + " entered maintenance after the planned cutover to " + name_of(sw.target));
  }
  if (previous && sw.remove_previous) out.emplace_back(RemoveMember{*previous, sw.actor});
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
