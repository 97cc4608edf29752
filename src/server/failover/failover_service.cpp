#include "server/failover/failover_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <span>

#include "common/log.hpp"
#include "common/tcp_probe.hpp"
#include "common/time.hpp"
#include "server/fleet/specs.hpp"

namespace balctl::failover {
namespace {

// Pools judged per hold of engine_mutex_ in the tick: about 0.3 ms of work (0.3 µs a pool, measured).
// Smaller slices bound the wait more tightly but hand the contended lock over more often: with 128 pools
// a slice, six alternating full-speed runs were about a tenth slower than with one whole-fleet pass.
constexpr std::size_t kTickSlicePools = 1024;

MemberSettings member_settings(const store::MemberRecord& m) {
  return {m.id, m.pool_id, m.hostname, m.ipv4, m.role, m.priority, m.enrolled_ms.has_value()};
}

// Converts between the engine's monotonic clock and wall-clock milliseconds kept in the store.
std::int64_t to_wall(std::int64_t steady_ms) {
  return steady_ms == kNever ? 0 : time::unix_ms_now() - (time::steady_ms_now() - steady_ms);
}
std::int64_t to_steady(std::int64_t wall_ms) {
  return wall_ms == 0 ? kNever : time::steady_ms_now() - (time::unix_ms_now() - wall_ms);
}

}  // namespace

FailoverService::FailoverService(store::Store& store, fleet::Registry& registry, liveness::LivenessTable& liveness,
                                 events::EventLog& events, dns::DnsBindings& bindings, FailoverSettings settings)
    : store_(store),
      registry_(registry),
      liveness_(liveness),
      events_(events),
      bindings_(bindings),
      settings_(settings),
      engine_(time::steady_ms_now()),
      probes_(2, 256),
      record_checks_(2, 256) {
  dns_ = std::make_unique<DnsExecutor>(
      [this](std::int64_t pool_id) { return bindings_.load(pool_id); },
      [this](const ApplyDns& job, const Status& result) {
        Actions actions;
        {
          std::lock_guard lock(engine_mutex_);
          actions = engine_.on_dns_result(job.pool_id, job.attempt_id, result, time::steady_ms_now());
        }
        execute(actions);
      },
      settings_.verify_timeout);
}

FailoverService::~FailoverService() { stop(); }

PoolSettings FailoverService::settings_of(const store::PoolRecord& pool) {
  PoolSettings s;
  s.id = pool.id;
  s.name = pool.name;
  s.hostname = pool.hostname;
  s.preset = pool.preset;
  s.delay_ms = pool.delay_s * 1000;
  s.grace_ms = pool.haproxy_grace_s * 1000;
  s.failback = pool.failback;
  s.failback_after_ms = pool.failback_after_s * 1000;
  s.dwell_ms = pool.dwell_s * 1000;
  s.settle_ms = pool.settle_s * 1000;
  s.interval_ms = settings_.interval_ms;
  s.ttl_s = pool.ttl_s;
  s.probe_ports = fleet::parse_probe_ports(pool.probe_ports);
  s.dns_sync = pool.dns_sync;
  s.dns_repair = pool.dns_repair;
  s.record_check_ms = settings_.record_check_ms;
  auto binding = store_.get_dns_binding(pool.id);
  s.has_dns = binding && binding->has_value();
  return s;
}

Status FailoverService::start() {
  auto pools = store_.list_pools();
  if (!pools) return pools.error();
  auto members = store_.list_members(std::nullopt);
  if (!members) return members.error();
  auto states = store_.load_failover_states();
  if (!states) return states.error();
  Actions resumed;
  {
    std::lock_guard lock(engine_mutex_);
    for (const auto& pool : *pools) engine_.put_pool(settings_of(pool));
    for (const auto& member : *members) {
      engine_.put_member(member_settings(member));
      if (const auto entry = liveness_.get(member.id); entry && entry->last_seen_wall_ms != 0) {
        engine_.restore({member.id, entry->last_seen_steady_ms, entry->haproxy, entry->source_ip});
      }
    }
    for (const auto& state : *states) {
      engine_.restore_published(state.pool_id, state.published_ipv4, to_steady(state.last_failover_ms));
      if (state.pending_target_id) {
        auto actions = engine_.resume(state.pool_id, *state.pending_target_id, state.pending_reason, state.pending_actor,
                                      time::steady_ms_now());
        resumed.insert(resumed.end(), actions.begin(), actions.end());
      }
    }
  }
  execute(resumed);
  ticker_ = std::thread([this] { tick_loop(); });
  return {};
}

void FailoverService::stop() {
  {
    std::lock_guard lock(tick_mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  tick_wake_.notify_all();
  if (ticker_.joinable()) ticker_.join();
  probes_.stop();
  record_checks_.stop();
  dns_->stop();
}

void FailoverService::tick_loop() {
  std::unique_lock lock(tick_mutex_);
  while (!stopping_) {
    tick_wake_.wait_for(lock, settings_.tick, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    tick_all_pools();
    lock.lock();
  }
}

// Every heartbeat needs engine_mutex_. One pass over 5 000 pools under it took 1-2 ms (up to 14 ms when
// the ticker was preempted holding it), and both I/O threads queued behind it ten times a second
// (measured); a slice of pools per hold keeps each wait to a fraction of a millisecond.
void FailoverService::tick_all_pools() {
  std::vector<std::int64_t> pool_ids;
  {
    std::lock_guard engine_lock(engine_mutex_);
    pool_ids = engine_.pool_ids();
  }
  const std::span<const std::int64_t> all(pool_ids);
  for (std::size_t begin = 0; begin < all.size(); begin += kTickSlicePools) {
    const auto slice = all.subspan(begin, std::min(kTickSlicePools, all.size() - begin));
    Actions actions;
    {
      std::lock_guard engine_lock(engine_mutex_);
      actions = engine_.on_tick(time::steady_ms_now(), slice);
    }
    execute(actions);
  }
}

std::vector<protocol::ProbeTask> FailoverService::on_heartbeat(const liveness::HeartbeatFacts& facts) {
  const auto now = time::steady_ms_now();
  Actions actions;
  {
    std::lock_guard lock(engine_mutex_);
    actions = engine_.on_heartbeat(facts.member_id, facts.haproxy, facts.source_ip, now);
    for (const auto& result : facts.probe_results) {
      const auto pool_id = board_.pool_of(result.id);
      if (pool_id == 0) continue;
      auto voted = engine_.on_probe_vote(pool_id, {result.id, facts.member_id, result.reachable}, now);
      actions.insert(actions.end(), voted.begin(), voted.end());
    }
  }
  execute(actions);
  return board_.take(facts.member_id, now);
}

void FailoverService::pool_changed(const store::PoolRecord& pool) {
  const auto settings = settings_of(pool);
  std::lock_guard lock(engine_mutex_);
  engine_.put_pool(settings);
}

void FailoverService::pool_removed(std::int64_t pool_id) {
  std::lock_guard lock(engine_mutex_);
  engine_.remove_pool(pool_id);
}

void FailoverService::member_changed(const store::MemberRecord& member) {
  std::lock_guard lock(engine_mutex_);
  engine_.put_member(member_settings(member));
}

void FailoverService::member_removed(std::int64_t member_id) {
  std::lock_guard lock(engine_mutex_);
  engine_.remove_member(member_id);
}

void FailoverService::dns_binding_changed(std::int64_t pool_id) {
  auto pools = store_.list_pools();
  if (!pools) return;
  for (const auto& pool : *pools) {
    if (pool.id != pool_id) continue;
    const auto settings = settings_of(pool);
    Actions actions;
    {
      std::lock_guard lock(engine_mutex_);
      engine_.put_pool(settings);
      actions = engine_.binding_changed(pool_id);
    }
    execute(actions);
  }
}

Result<Plan> FailoverService::with_engine(
    const std::function<Result<Plan>(DecisionEngine&, std::int64_t now, Actions&)>& request) {
  Actions actions;
  Result<Plan> plan = Error::internal("unreachable");
  {
    std::lock_guard lock(engine_mutex_);
    plan = request(engine_, time::steady_ms_now(), actions);
  }
  execute(actions);
  return plan;
}

Result<Plan> FailoverService::request_removal(std::int64_t member_id, bool force, bool dry_run,
                                              const std::string& actor) {
  return with_engine([&](DecisionEngine& engine, std::int64_t now, Actions& out) {
    return engine.request_removal(member_id, force, dry_run, actor, now, out);
  });
}

Result<Plan> FailoverService::cancel_switch(std::string_view pool_name, const std::string& actor) {
  auto pool = store_.find_pool(pool_name);
  if (!pool) return pool.error();
  return with_engine([&](DecisionEngine& engine, std::int64_t now, Actions& out) {
    return engine.cancel_switch(pool->id, actor, now, out);
  });
}

Result<Plan> FailoverService::retry_switch(std::string_view pool_name, const std::string& actor) {
  auto pool = store_.find_pool(pool_name);
  if (!pool) return pool.error();
  return with_engine([&](DecisionEngine& engine, std::int64_t now, Actions& out) {
    return engine.retry_switch(pool->id, actor, now, out);
  });
}

Result<Plan> FailoverService::after_binding(std::int64_t pool_id, const std::vector<std::string>& answers,
                                            bool publish, const std::string& actor) {
  return with_engine([&](DecisionEngine& engine, std::int64_t now, Actions& out) -> Result<Plan> {
    if (publish) return engine.publish(pool_id, actor, now, out);
    // Not publishing: what the record answers is judged (dns_mismatch, one dns_drift) but left alone.
    auto observed = engine.on_record_observed(pool_id, 0, answers, now);
    out.insert(out.end(), observed.begin(), observed.end());
    return Plan{"not publishing (--no-publish): balctl leaves the record as it is until a failover or 'balctl "
                "failover POOL --to ACTIVE'",
                std::nullopt};
  });
}

void FailoverService::record_observed(std::int64_t pool_id, const std::vector<std::string>& answers) {
  Actions actions;
  {
    std::lock_guard lock(engine_mutex_);
    actions = engine_.on_record_observed(pool_id, 0, answers, time::steady_ms_now());
  }
  execute(actions);
}

Result<Plan> FailoverService::failover(std::string_view pool_name, std::string_view target, bool force, bool dry_run,
                                       const std::string& actor) {
  auto pool = store_.find_pool(pool_name);
  if (!pool) return pool.error();
  auto member = store_.find_member(pool->id, target);
  if (!member) return member.error();
  return with_engine([&](DecisionEngine& engine, std::int64_t now, Actions& out) {
    return engine.request_failover(pool->id, member->id, force, dry_run, actor, now, out);
  });
}

Result<Plan> FailoverService::maintenance(std::string_view pool_name, std::string_view member_name, bool on, bool force,
                                          bool dry_run, const std::string& actor) {
  auto pool = store_.find_pool(pool_name);
  if (!pool) return pool.error();
  auto member = store_.find_member(pool->id, member_name);
  if (!member) return member.error();
  return with_engine([&](DecisionEngine& engine, std::int64_t now, Actions& out) {
    return engine.set_maintenance(member->id, on, force, dry_run, actor, now, out);
  });
}

std::optional<PoolStatus> FailoverService::status(std::int64_t pool_id) {
  std::lock_guard lock(engine_mutex_);
  return engine_.status(pool_id, time::steady_ms_now());
}

std::string FailoverService::readiness(std::int64_t member_id) {
  std::lock_guard lock(engine_mutex_);
  return engine_.readiness(member_id, time::steady_ms_now());
}

void FailoverService::probe_from_here(const ProbeRequest& request) {
  const bool submitted = probes_.submit([this, request] {
    // The same raced attempts the agents are asked for (ProbeBoard), so every vantage point judges alike.
    const auto timeout = std::chrono::milliseconds(request.plan.attempt_timeout_ms);
    const auto spacing = std::chrono::milliseconds(request.plan.spacing_ms);
    bool reachable = !request.ports.empty();
    for (const int port : request.ports) {
      reachable =
          reachable && tcp_connects_any(request.target_ipv4, port, request.plan.attempts, spacing, timeout);
    }
    Actions actions;
    {
      std::lock_guard lock(engine_mutex_);
      actions = engine_.on_probe_vote(request.pool_id, {request.probe_id, 0, reachable}, time::steady_ms_now());
    }
    execute(actions);
  });
  if (!submitted) spdlog::warn("probe_dropped pool_id={} reason=queue_full", request.pool_id);
}

// Drift checks: read the record through the pool's provider, off the engine's lock and the request threads.
void FailoverService::check_record(const CheckRecord& check) {
  const bool submitted = record_checks_.submit([this, check] {
    auto answer = bindings_.read_record(check.pool_id, check.fqdn);
    if (!answer) {
      spdlog::warn("dns_check_failed pool_id={} fqdn={} code={} error={}", check.pool_id, check.fqdn,
                   answer.error().code, log::value(answer.error().message));
    }
    Actions actions;
    {
      std::lock_guard lock(engine_mutex_);
      actions = engine_.on_record_observed(check.pool_id, check.epoch, answer, time::steady_ms_now());
    }
    execute(actions);
  });
  if (!submitted) {
    // Queue full (thousands of slow API reads at once): this check is skipped, the next one is scheduled.
    std::lock_guard lock(engine_mutex_);
    (void)engine_.on_record_observed(check.pool_id, check.epoch,
                                     Error{Errc::unavailable, "dns_busy", "too many record checks queued", {}},
                                     time::steady_ms_now());
  }
}

void FailoverService::persist(const PersistPending& pending) {
  store::FailoverStateRecord record;
  record.pool_id = pending.pool_id;
  record.pending_target_id = pending.target_member_id;
  record.pending_reason = pending.reason;
  record.pending_actor = pending.actor;
  record.pending_since_ms = pending.target_member_id ? time::unix_ms_now() : 0;
  if (const auto state = status(pending.pool_id)) {
    record.published_ipv4 = state->published_ipv4;
    record.last_failover_ms = to_wall(state->last_failover_ms);
  }
  if (auto saved = store_.save_failover_state(record); !saved) {
    spdlog::error("failover_state_not_saved pool_id={} error={}", pending.pool_id,
                  log::value(saved.error().message));
  }
}

void FailoverService::execute(const Actions& actions) {
  for (const auto& action : actions) {
    if (const auto* apply = std::get_if<ApplyDns>(&action)) {
      dns_->submit(*apply);
    } else if (const auto* probe = std::get_if<ProbeRequest>(&action)) {
      board_.assign(*probe, time::steady_ms_now());
      probe_from_here(*probe);
    } else if (const auto* commit = std::get_if<CommitRoles>(&action)) {
      if (auto status = store_.commit_roles(commit->pool_id, commit->active_member_id, commit->previous_active_id,
                                            commit->previous_role);
          !status) {
        spdlog::error("roles_not_saved pool_id={} error={}", commit->pool_id,
                      log::value(status.error().message));
      }
    } else if (const auto* role = std::get_if<SetRole>(&action)) {
      if (auto status = store_.set_member_role(role->member_id, role->role); !status) {
        spdlog::error("role_not_saved member_id={} error={}", role->member_id,
                      log::value(status.error().message));
      }
    } else if (const auto* pending = std::get_if<PersistPending>(&action)) {
      persist(*pending);
    } else if (const auto* event = std::get_if<RecordEvent>(&action)) {
      const auto pool = registry_.pool(event->pool_id);
      (void)events_.record({0, 0, event->kind, pool ? pool->name : "", event->member, event->actor, event->message});
    } else if (const auto* check = std::get_if<CheckRecord>(&action)) {
      check_record(*check);
    } else if (const auto* removal = std::get_if<RemoveMember>(&action)) {
      if (!remover_) continue;
      if (auto status = remover_(removal->member_id, removal->actor); !status) {
        spdlog::error("member_not_removed member_id={} error={}", removal->member_id,
                      log::value(status.error().message));
      }
    }
  }
}

}  // namespace balctl::failover
