#include "server/inventory/fleet_service.hpp"

#include <map>
#include <utility>

#include <spdlog/spdlog.h>

#include "common/crypto.hpp"
#include "common/time.hpp"
#include "server/fleet/enrolment_keys.hpp"

namespace balctl::inventory {
namespace {

store::EventRecord event(const char* kind, std::string pool, std::string member, std::string_view actor,
                         std::string message) {
  return store::EventRecord{0, 0, kind, std::move(pool), std::move(member), std::string(actor), std::move(message)};
}

// Two pools managing one hostname would each point its record at their own active.
Error hostname_in_use(const std::string& hostname, const std::string& other_pool) {
  return Error{Errc::conflict, "hostname_in_use",
               "hostname " + hostname + " is already managed by pool '" + other_pool +
                   "'; a hostname can belong to one pool only",
               "hostname"};
}

// Two members of one pool on one address: a failover between them would change nothing and report success.
// Members of different pools may share an address: one HAProxy often serves several hostnames, and each
// pool only ever changes its own record.
Error ipv4_in_use(const std::string& ipv4, const std::string& other_member, const std::string& pool) {
  return Error{Errc::conflict, "ipv4_in_use",
               "address " + ipv4 + " is already used by member '" + other_member + "' of pool '" + pool +
                   "'; each member of a pool needs its own address",
               "ipv4"};
}

// Databases from before uniqueness was enforced may hold such duplicates (migration 5 keeps them so that
// the server starts); say so at every start until they are resolved. As in the migration, the oldest row
// (lowest id) holds the name or address and the later ones are the duplicates, whatever order the lists
// come in.
void warn_about_duplicates(const std::vector<store::PoolRecord>& pools,
                           const std::vector<store::MemberRecord>& members) {
  std::map<std::int64_t, const store::PoolRecord*> by_id;
  for (const auto& pool : pools) by_id[pool.id] = &pool;
  std::map<std::string, const store::PoolRecord*> by_hostname;
  for (const auto& [id, pool] : by_id) {
    const auto [first, inserted] = by_hostname.try_emplace(pool->hostname, pool);
    if (!inserted) {
      spdlog::warn("duplicate_hostname hostname={} pool={} other_pool={}", pool->hostname, pool->name,
                   first->second->name);
    }
  }
  std::map<std::int64_t, const store::MemberRecord*> members_by_id;
  for (const auto& member : members) members_by_id[member.id] = &member;
  std::map<std::pair<std::int64_t, std::string>, const store::MemberRecord*> by_address;
  for (const auto& [id, member] : members_by_id) {
    const auto [first, inserted] = by_address.try_emplace({member->pool_id, member->ipv4}, member);
    if (!inserted) {
      const auto pool = by_id.find(member->pool_id);
      spdlog::warn("duplicate_ipv4 ipv4={} pool={} member={} other_member={}", member->ipv4,
                   pool == by_id.end() ? "" : pool->second->name, member->hostname, first->second->hostname);
    }
  }
}

}  // namespace

FleetService::FleetService(store::Store& store, fleet::Registry& registry, liveness::LivenessTable& liveness,
                           events::EventLog& events, AgentEndpoint endpoint)
    : store_(store), registry_(registry), liveness_(liveness), events_(events), endpoint_(std::move(endpoint)) {}

Status FleetService::load() {
  auto pools = store_.list_pools();
  if (!pools) return pools.error();
  for (const auto& pool : *pools) registry_.put_pool(pool);
  auto members = store_.list_members(std::nullopt);
  if (!members) return members.error();
  for (const auto& member : *members) registry_.put_member(member);
  warn_about_duplicates(*pools, *members);
  auto states = store_.load_states();
  if (!states) return states.error();
  const auto now_steady = time::steady_ms_now();
  const auto now_wall = time::unix_ms_now();
  for (const auto& state : *states) liveness_.restore(state, now_steady, now_wall);
  return {};
}

Status FleetService::check_hostname_free(const std::string& hostname) {
  auto holder = store_.find_pool_by_hostname(hostname);
  if (!holder) return holder.error();
  if (*holder) return hostname_in_use(hostname, (*holder)->name);
  return {};
}

Result<store::PoolRecord> FleetService::create_pool(const fleet::PoolSpec& spec, std::string_view actor) {
  if (auto free = check_hostname_free(spec.hostname); !free) return free.error();
  store::PoolRecord pool;
  pool.name = spec.name;
  pool.hostname = spec.hostname;
  pool.preset = spec.preset;
  pool.delay_s = spec.delay_s;
  pool.haproxy_grace_s = fleet::limits::kDefaultGraceS;
  pool.ttl_s = fleet::limits::kDefaultTtlS;
  pool.created_ms = time::unix_ms_now();
  auto stored = store_.insert_pool(pool);
  if (!stored) return stored;
  registry_.put_pool(*stored);
  if (observer_ != nullptr) observer_->pool_changed(*stored);
  (void)events_.record(event(events::kind::kPoolCreated, stored->name, "", actor,
                             "pool created for " + stored->hostname + " (preset " + stored->preset + ", delay " +
                                 std::to_string(stored->delay_s) + " s)"));
  return stored;
}

MemberView FleetService::view_of(const store::MemberRecord& member, std::int64_t delay_s) const {
  MemberView view{member, liveness::MemberStatus::never_seen, std::nullopt, liveness_.get(member.id)};
  if (view.liveness) {
    const auto now = time::steady_ms_now();
    view.status = liveness::status_of(*view.liveness, now, delay_s * 1000);
    if (view.liveness->last_seen_wall_ms != 0) view.last_heartbeat_age_ms = now - view.liveness->last_seen_steady_ms;
  }
  return view;
}

Result<PoolView> FleetService::build_view(const store::PoolRecord& pool) {
  auto members = store_.list_members(pool.id);
  if (!members) return members.error();
  PoolView view{pool, {}, {}};
  for (const auto& member : *members) {
    if (pool.active_member_id && *pool.active_member_id == member.id) view.active_hostname = member.hostname;
    view.members.push_back(view_of(member, pool.delay_s));
  }
  return view;
}

Result<std::vector<PoolView>> FleetService::list_pools() {
  auto pools = store_.list_pools();
  if (!pools) return pools.error();
  std::vector<PoolView> views;
  for (const auto& pool : *pools) {
    auto view = build_view(pool);
    if (!view) return view.error();
    views.push_back(std::move(*view));
  }
  return views;
}

Result<PoolView> FleetService::get_pool(std::string_view name) {
  auto pool = store_.find_pool(name);
  if (!pool) return pool.error();
  return build_view(*pool);
}

Result<store::PoolRecord> FleetService::update_pool(std::string_view name, const fleet::PoolPatch& patch,
                                                    std::string_view actor) {
  auto pool = store_.find_pool(name);
  if (!pool) return pool;
  if (patch.hostname && *patch.hostname != pool->hostname) {
    if (auto free = check_hostname_free(*patch.hostname); !free) return free.error();
  }
  store::PoolRecord updated = *pool;
  if (patch.hostname) updated.hostname = *patch.hostname;
  if (patch.delay_s) updated.delay_s = *patch.delay_s;
  if (patch.haproxy_grace_s) updated.haproxy_grace_s = *patch.haproxy_grace_s;
  if (patch.failback) updated.failback = *patch.failback;
  if (patch.ttl_s) updated.ttl_s = *patch.ttl_s;
  if (patch.probe_ports) updated.probe_ports = *patch.probe_ports;
  if (patch.failback_after_s) updated.failback_after_s = *patch.failback_after_s;
  if (patch.dwell_s) updated.dwell_s = *patch.dwell_s;
  if (patch.settle_s) updated.settle_s = *patch.settle_s;
  if (patch.dns_sync) updated.dns_sync = *patch.dns_sync;
  if (patch.dns_repair) updated.dns_repair = *patch.dns_repair;
  if (auto status = store_.update_pool(updated); !status) return status.error();
  registry_.put_pool(updated);
  if (observer_ != nullptr) observer_->pool_changed(updated);
  (void)events_.record(event(events::kind::kPoolUpdated, updated.name, "", actor,
                             "settings: hostname " + updated.hostname + ", delay " + std::to_string(updated.delay_s) +
                                 " s, haproxy grace " + std::to_string(updated.haproxy_grace_s) + " s, failback " +
                                 updated.failback + " after " + std::to_string(updated.failback_after_s) +
                                 " s, dwell " + std::to_string(updated.dwell_s) + " s, settle " +
                                 std::to_string(updated.settle_s) + " s, ttl " + std::to_string(updated.ttl_s) +
                                 " s, probe ports [" + updated.probe_ports + "], dns sync " +
                                 (updated.dns_sync ? "on" : "off") + ", dns repair " +
                                 (updated.dns_repair ? "on" : "off")));
  return updated;
}

Status FleetService::delete_pool(std::string_view name, bool force, std::string_view actor) {
  auto pool = store_.find_pool(name);
  if (!pool) return pool.error();
  auto members = store_.list_members(pool->id);
  if (!members) return members.error();
  if (!members->empty() && !force) {
    return Error::conflict("pool_not_empty", "pool '" + pool->name + "' still has " +
                                                 std::to_string(members->size()) +
                                                 " member(s); remove them first or delete with force");
  }
  if (auto status = store_.delete_pool(pool->id); !status) return status;
  registry_.remove_pool(pool->id);
  for (const auto& member : *members) liveness_.remove(member.id);
  if (observer_ != nullptr) observer_->pool_removed(pool->id);
  (void)events_.record(event(events::kind::kPoolDeleted, pool->name, "", actor,
                             "pool deleted with " + std::to_string(members->size()) + " member(s)"));
  return {};
}

std::string FleetService::install_command(std::string_view key, std::string_view hostname) const {
  return fleet::install_command(endpoint_.api_base, endpoint_.pinned_key, key, hostname);
}

Result<IssuedKey> FleetService::issue_key(const store::PoolRecord& pool, const store::MemberRecord& member,
                                          std::int64_t ttl_s) {
  const auto key = fleet::new_enrollment_key(member.id, ttl_s, time::unix_ms_now());
  if (auto status = store_.replace_enrollment_key(key.record); !status) return status.error();
  return IssuedKey{view_of(member, pool.delay_s), pool.name, key.text, key.record.expires_ms,
                   install_command(key.text, member.hostname)};
}

Result<IssuedKey> FleetService::add_member(std::string_view pool_name, const fleet::MemberSpec& spec,
                                           std::string_view actor) {
  auto pool = store_.find_pool(pool_name);
  if (!pool) return pool.error();
  auto others = store_.list_members(pool->id);
  if (!others) return others.error();
  for (const auto& other : *others) {
    // A hostname already in the pool is the store's member_exists, whatever the address.
    if (other.ipv4 == spec.ipv4 && other.hostname != spec.hostname)
      return ipv4_in_use(spec.ipv4, other.hostname, pool->name);
  }
  store::MemberRecord member;
  member.pool_id = pool->id;
  member.hostname = spec.hostname;
  member.ipv4 = spec.ipv4;
  member.egress_ip = spec.egress_ip;
  member.priority = spec.priority;
  member.created_ms = time::unix_ms_now();
  const auto key = fleet::new_enrollment_key(0, spec.key_ttl_s, member.created_ms);
  auto stored = store_.insert_member(member, key.record);
  if (!stored) return stored.error();
  registry_.put_member(*stored);
  if (observer_ != nullptr) observer_->member_changed(*stored);
  (void)events_.record(event(events::kind::kMemberAdded, pool->name, stored->hostname, actor,
                             "member added with address " + stored->ipv4 + "; enrollment key expires " +
                                 time::rfc3339(key.record.expires_ms)));
  return IssuedKey{view_of(*stored, pool->delay_s), pool->name, key.text, key.record.expires_ms,
                   install_command(key.text, stored->hostname)};
}

Result<MemberView> FleetService::get_member(std::string_view pool_name, std::string_view hostname) {
  auto pool = store_.find_pool(pool_name);
  if (!pool) return pool.error();
  auto member = store_.find_member(pool->id, hostname);
  if (!member) return member.error();
  return view_of(*member, pool->delay_s);
}

Result<std::optional<std::string>> FleetService::member_report(std::int64_t member_id) {
  if (auto entry = liveness_.get(member_id); entry && entry->pending_report) return entry->pending_report;
  return store_.load_report(member_id);
}

Status FleetService::remove_member(std::string_view pool_name, std::string_view hostname, std::string_view actor) {
  auto pool = store_.find_pool(pool_name);
  if (!pool) return pool.error();
  auto member = store_.find_member(pool->id, hostname);
  if (!member) return member.error();
  if (auto status = store_.delete_member(member->id); !status) return status;
  registry_.remove_member(member->id);
  liveness_.remove(member->id);
  if (observer_ != nullptr) observer_->member_removed(member->id);
  (void)events_.record(event(events::kind::kMemberRemoved, pool->name, member->hostname, actor,
                             "member removed (was " + member->role + ")"));
  return {};
}

Result<IssuedKey> FleetService::rekey_member(std::string_view pool_name, std::string_view hostname,
                                             std::int64_t key_ttl_s, std::string_view actor) {
  auto pool = store_.find_pool(pool_name);
  if (!pool) return pool.error();
  auto member = store_.find_member(pool->id, hostname);
  if (!member) return member.error();
  auto issued = issue_key(*pool, *member, key_ttl_s);
  if (!issued) return issued;
  (void)events_.record(event(events::kind::kMemberRekeyed, pool->name, member->hostname, actor,
                             "new enrollment key issued; expires " + time::rfc3339(issued->expires_ms)));
  return issued;
}

}  // namespace balctl::inventory
