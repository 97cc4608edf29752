// Configuration, restart recovery and operator requests of the decision engine.
#include "server/failover/decision_engine.hpp"

#include <algorithm>

#include "server/failover/engine_support.hpp"

namespace balctl::failover {
namespace {

Error refused(std::string code, std::string message) {
  return Error{Errc::conflict, std::move(code), std::move(message), {}};
}

}  // namespace

void DecisionEngine::put_pool(const PoolSettings& pool) {
  auto& p = pools_[pool.id];
  p.s = pool;
}

Actions DecisionEngine::binding_changed(std::int64_t pool_id) {
  Actions out;
  const auto it = pools_.find(pool_id);
  if (it == pools_.end()) return out;
  Pool& p = it->second;
  // Nothing has been published through the new binding yet, and what the old one read says nothing.
  p.published_ip.clear();
  p.record.reset();
  p.republish.reset();
  p.record_check_in_flight = false;
  p.next_record_check = kNever;
  ++p.record_epoch;
  persist_state(p, out);
  return out;
}

void DecisionEngine::persist_state(const Pool& p, Actions& out) const {
  if (p.switching) {
    out.emplace_back(PersistPending{p.s.id, p.switching->target, p.switching->reason, p.switching->actor});
  } else {
    out.emplace_back(PersistPending{p.s.id, std::nullopt, {}, {}});
  }
}

void DecisionEngine::remove_pool(std::int64_t pool_id) {
  pools_.erase(pool_id);
  std::erase_if(members_, [pool_id](const auto& entry) { return entry.second.s.pool_id == pool_id; });
  pool_members_.erase(pool_id);
}

const std::vector<std::int64_t>& DecisionEngine::member_ids(std::int64_t pool_id) const {
  static const std::vector<std::int64_t> kNone;
  const auto it = pool_members_.find(pool_id);
  return it == pool_members_.end() ? kNone : it->second;
}

void DecisionEngine::put_member(const MemberSettings& member) {
  auto& m = members_[member.id];
  if (const auto old = pool_members_.find(m.s.pool_id); old != pool_members_.end() && m.s.pool_id != member.pool_id) {
    std::erase(old->second, member.id);  // the member moved to another pool
  }
  auto& ids = pool_members_[member.pool_id];
  if (const auto at = std::lower_bound(ids.begin(), ids.end(), member.id); at == ids.end() || *at != member.id) {
    ids.insert(at, member.id);
  }
  m.s = member;
  auto pool = pools_.find(member.pool_id);
  if (pool == pools_.end()) return;
  if (member.role == "active") {
    pool->second.active = member.id;
  } else if (pool->second.active && *pool->second.active == member.id) {
    pool->second.active.reset();
  }
}

void DecisionEngine::remove_member(std::int64_t member_id) {
  const auto it = members_.find(member_id);
  if (it == members_.end()) return;
  auto pool = pools_.find(it->second.s.pool_id);
  if (pool != pools_.end()) {
    if (pool->second.active && *pool->second.active == member_id) pool->second.active.reset();
    if (pool->second.switching && pool->second.switching->target == member_id) pool->second.switching.reset();
  }
  std::erase(pool_members_[it->second.s.pool_id], member_id);
  members_.erase(it);
}

void DecisionEngine::restore(const LastSeen& seen) {
  const auto it = members_.find(seen.member_id);
  if (it == members_.end()) return;
  it->second.last_heartbeat = seen.at_ms;
  it->second.haproxy = seen.haproxy;
  it->second.observed_ip = seen.observed_ip;
}

void DecisionEngine::restore_published(std::int64_t pool_id, const std::string& ipv4, std::int64_t last_failover_ms) {
  const auto it = pools_.find(pool_id);
  if (it == pools_.end()) return;
  it->second.published_ip = ipv4;
  it->second.last_failover = last_failover_ms;
}

Actions DecisionEngine::resume(std::int64_t pool_id, std::int64_t target_id, const std::string& reason,
                               const std::string& actor, std::int64_t now) {
  Actions out;
  const auto pool = pools_.find(pool_id);
  const auto target = members_.find(target_id);
  if (pool == pools_.end() || target == members_.end() || target->second.s.pool_id != pool_id) {
    if (pool != pools_.end()) out.emplace_back(PersistPending{pool_id, std::nullopt, {}, {}});
    return out;
  }
  event(out, pool->second, "failover_resumed", target->second.s.hostname, actor,
        "finishing the failover interrupted by a control-plane restart: " + reason);
  // The target was chosen before the restart; it is not re-judged until it has had a chance to report.
  start_switch(pool->second, target->second, reason, actor, {.forced = true}, now, out);
  return out;
}

Result<Plan> DecisionEngine::request_failover(std::int64_t pool_id, std::int64_t target_id, bool force, bool dry_run,
                                              const std::string& actor, std::int64_t now, Actions& out) {
  const auto pool = pools_.find(pool_id);
  const auto target = members_.find(target_id);
  if (pool == pools_.end() || target == members_.end() || target->second.s.pool_id != pool_id) {
    return Error::not_found("member_not_found", "no such member in this pool");
  }
  Pool& p = pool->second;
  const Member& m = target->second;
  if (p.active && *p.active == target_id && !p.switching) return republish_active(p, m, dry_run, actor, now, out);
  if (!m.s.enrolled) return refused("not_enrolled", m.s.hostname + " has not enrolled yet");
  const std::string why = unready_reason(m, p, now);
  if (!why.empty() && !force) {
    return refused("target_not_ready", m.s.hostname + " is not failover-ready (" + why + "); use --force to move anyway");
  }
  if (p.switching && p.switching->target != target_id && !force) {
    return refused("failover_in_progress", "a failover to " + name_of(p.switching->target) +
                                               " is in progress; use --force to redirect it");
  }
  Plan plan{"point " + p.s.hostname + " at " + m.s.hostname + " (" + publish_address(p, m) + ") instead of " +
                name_of(p.active) + (why.empty() ? "" : " although it is " + why),
            target_id};
  if (dry_run) return plan;
  p.switching.reset();
  start_switch(p, m, "manual cutover requested by " + actor, actor, {.forced = force}, now, out);
  return plan;
}

Result<Plan> DecisionEngine::set_maintenance(std::int64_t member_id, bool on, bool force, bool dry_run,
                                             const std::string& actor, std::int64_t now, Actions& out) {
  const auto it = members_.find(member_id);
  if (it == members_.end()) return Error::not_found("member_not_found", "no such member");
  Member& m = it->second;
  Pool& p = pools_.at(m.s.pool_id);
  if (on == (m.s.role == "maintenance")) {
    return Plan{m.s.hostname + (on ? " is already in maintenance" : " is not in maintenance"), p.active};
  }
  if (!on) {
    Plan plan{m.s.hostname + " leaves maintenance and becomes a standby (failover-ready after " +
                  std::to_string(p.s.settle_ms / 1000) + " s of health)",
              p.active};
    if (dry_run) return plan;
    m.s.role = "standby";
    m.healthy_since = now;  // like a member that comes back: it must settle first
    m.was_healthy = true;
    out.emplace_back(SetRole{member_id, "standby"});
    event(out, p, "maintenance_off", m.s.hostname, actor, m.s.hostname + " left maintenance");
    return plan;
  }
  const bool is_active = p.active && *p.active == member_id;
  if (!is_active) {
    Plan plan{m.s.hostname + " enters maintenance; it will not be chosen for failover", p.active};
    if (dry_run) return plan;
    m.s.role = "maintenance";
    out.emplace_back(SetRole{member_id, "maintenance"});
    event(out, p, "maintenance_on", m.s.hostname, actor, m.s.hostname + " entered maintenance");
    return plan;
  }
  const Member* target = best_standby(p, now, member_id);
  if (target == nullptr) {
    if (!force) {
      return refused("no_standby", "no failover-ready standby can take over from " + m.s.hostname +
                                       "; use --force to enter maintenance while it still serves " + p.s.hostname);
    }
    Plan plan{m.s.hostname + " enters maintenance but stays in " + p.s.hostname + ": no standby can take over",
              p.active};
    if (dry_run) return plan;
    m.s.role = "maintenance";
    out.emplace_back(SetRole{member_id, "maintenance"});
    event(out, p, "maintenance_on", m.s.hostname, actor, plan.summary);
    return plan;
  }
  Plan plan{"planned cutover: point " + p.s.hostname + " at " + target->s.hostname + " (" +
                publish_address(p, *target) + "), then " + m.s.hostname + " enters maintenance",
            target->s.id};
  if (dry_run) return plan;
  start_switch(p, *target, "planned cutover: " + m.s.hostname + " enters maintenance", actor, {.planned = true}, now,
               out);
  return plan;
}

// `failover --to ACTIVE`: allowed as a re-publish while the record is not known to point at the active.
Result<Plan> DecisionEngine::republish_active(Pool& p, const Member& active, bool dry_run, const std::string& actor,
                                              std::int64_t now, Actions& out) {
  const bool record_right = p.record && p.record->state == RecordState::matches;
  if (!p.s.has_dns || record_right) {
    return refused("already_active", active.s.hostname + " is already the active member" +
                                         (p.s.has_dns ? " and the record points at it" : ""));
  }
  const std::string answers =
      p.record && p.record->state == RecordState::mismatch
          ? "the record answers " + (p.record->answers.empty() ? std::string("nothing") : p.record->answers.front()) +
                (p.record->answers.size() > 1 ? " and more" : "")
          : "the record has not been read back yet";
  Plan plan{"re-publish " + publish_address(p, active) + " (" + active.s.hostname + ", the active member): " + answers,
            active.s.id};
  if (dry_run) return plan;
  start_republish(p, publish_address(p, active), Purpose::publish, actor, now, out);
  return plan;
}

Result<Plan> DecisionEngine::request_removal(std::int64_t member_id, bool force, bool dry_run, const std::string& actor,
                                             std::int64_t now, Actions& out) {
  const auto it = members_.find(member_id);
  if (it == members_.end()) return Plan{"remove the member", std::nullopt, true};  // not judged by the engine
  const Member& m = it->second;
  Pool& p = pools_.at(m.s.pool_id);
  const bool is_active = p.active && *p.active == member_id;
  if (!is_active) {
    if (p.switching && p.switching->target == member_id && !force) {
      return refused("failover_in_progress", "a failover to " + m.s.hostname +
                                                 " is under way; cancel it first (balctl failover " + p.s.name +
                                                 " --cancel) or use --force");
    }
    return Plan{"remove " + m.s.hostname, p.active, true};
  }
  const Member* target = best_standby(p, now, member_id);
  if (target == nullptr || force) {
    if (!force) {
      return refused("member_is_active",
                     m.s.hostname + " is the active member of " + p.s.name + " (" + p.s.hostname +
                         " points at it) and no standby is failover-ready to take over; use --force to remove it "
                         "anyway (the pool then has no active member until a standby is ready)");
    }
    return Plan{"remove the active " + m.s.hostname + " at once" +
                    (target == nullptr ? "; the pool has no active member until a standby is ready"
                                       : "; " + target->s.hostname + " then takes over"),
                std::nullopt, true};
  }
  if (p.switching && !force) {
    return refused("failover_in_progress", "a failover to " + name_of(p.switching->target) + " is under way");
  }
  Plan plan{"cut over first: point " + p.s.hostname + " at " + target->s.hostname + " (" +
                publish_address(p, *target) + "), then remove " + m.s.hostname,
            target->s.id};
  if (dry_run) return plan;
  start_switch(p, *target, "the active " + m.s.hostname + " is being removed by " + actor, actor,
               {.planned = true, .remove_previous = true}, now, out);
  return plan;
}

Result<Plan> DecisionEngine::cancel_switch(std::int64_t pool_id, const std::string& actor, std::int64_t now,
                                           Actions& out) {
  const auto it = pools_.find(pool_id);
  if (it == pools_.end()) return Error::not_found("pool_not_found", "no such pool");
  Pool& p = it->second;
  if (!p.switching) return refused("no_failover_in_progress", "no failover is in progress in " + p.s.name);
  const std::string target = name_of(p.switching->target);
  const bool in_flight = p.switching->in_flight;
  p.switching.reset();
  ++p.record_epoch;
  out.emplace_back(PersistPending{p.s.id, std::nullopt, {}, {}});
  // Without a hold the next tick would decide the same failover again.
  p.hold_until = now + p.s.dwell_ms;
  std::string message = "failover to " + target + " cancelled; " + name_of(p.active) +
                        " stays the active member and automatic failover is held for " +
                        detail::seconds(p.s.dwell_ms);
  if (in_flight) message += "; an attempt already under way may still change the record, drift repair then puts it back";
  event(out, p, "failover_cancelled", target, actor, message);
  return Plan{message, p.active};
}

Result<Plan> DecisionEngine::retry_switch(std::int64_t pool_id, const std::string& actor, std::int64_t now,
                                          Actions& out) {
  const auto it = pools_.find(pool_id);
  if (it == pools_.end()) return Error::not_found("pool_not_found", "no such pool");
  Pool& p = it->second;
  if (!p.switching) return refused("no_failover_in_progress", "no failover is in progress in " + p.s.name);
  Switch& sw = *p.switching;
  if (sw.in_flight) return Plan{"attempt " + std::to_string(sw.attempts) + " is under way now", sw.target};
  sw.next_attempt = now;
  event(out, p, "failover_retry", name_of(sw.target), actor, "next attempt started now instead of after the backoff");
  drive_switch(p, now, out);
  return Plan{"attempt " + std::to_string(sw.attempts) + " to point " + p.s.hostname + " at " + name_of(sw.target) +
                  " started",
              sw.target};
}

std::optional<PoolStatus> DecisionEngine::status(std::int64_t pool_id, std::int64_t now) const {
  const auto it = pools_.find(pool_id);
  if (it == pools_.end()) return std::nullopt;
  const Pool& p = it->second;
  PoolStatus status;
  status.active_id = p.active;
  status.published_ipv4 = p.published_ip;
  status.last_failover_ms = p.last_failover;
  status.expected_ipv4 = expected_address(p);
  status.phase = "steady";
  if (p.switching) {
    status.phase = "switching";
    status.switching_to = p.switching->target;
    status.switch_attempts = p.switching->attempts;
    status.next_attempt_ms = p.switching->in_flight ? kNever : p.switching->next_attempt;
    status.last_switch_error = p.switching->last_error;
  } else if (p.down_alerted) {
    status.phase = "down";
  } else if (p.confirming && p.active && !fresh(members_.at(*p.active), p, now)) {
    status.phase = "confirming";
  }
  if (p.record) {
    status.record = p.record->state;
    status.record_answers = p.record->answers;
    status.record_checked_ms = p.record->checked_at;
  }
  return status;
}

std::string DecisionEngine::readiness(std::int64_t member_id, std::int64_t now) const {
  const auto it = members_.find(member_id);
  if (it == members_.end()) return "unknown member";
  const auto pool = pools_.find(it->second.s.pool_id);
  if (pool == pools_.end()) return "unknown pool";
  const Member& m = it->second;
  if (pool->second.active && *pool->second.active == member_id) {
    if (healthy(m, pool->second, now)) return "active";
    return m.last_heartbeat == kNever ? "active, never heard from" : "active, " + unready_reason(m, pool->second, now);
  }
  const auto why = unready_reason(m, pool->second, now);
  return why.empty() ? "ready" : why;
}

}  // namespace balctl::failover
