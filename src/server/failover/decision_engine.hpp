// The failover decision engine: one pure state machine for all pools, fed by heartbeats, probe votes,
// DNS results, operator requests and a clock, returning the actions to carry out. Rules (DESIGN.md words):
//  - the active is unhealthy when its heartbeats stop for the pool's delay, or (preset haproxy) it reports
//    HAProxy stopped/absent for longer than the grace; a stopped HAProxy needs no confirmation, silence
//    does: standbys and the control plane probe the active's frontend ports, and if a majority still
//    reaches it we do not fail over;
//  - the target is the best failover-ready standby (priority, then freshest heartbeat); never an
//    unhealthy member, one in maintenance, or one silent for more than 3 intervals; a member that came
//    back must stay healthy for the settle time first;
//  - automatic moves of a healthy active (fail-back) wait for the dwell time since the last failover;
//  - after a start, members get one delay to report before anyone is judged.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "server/failover/engine_types.hpp"

namespace balctl::failover {

inline constexpr std::int64_t kNever = INT64_MIN / 4;

struct Plan {
  std::string summary;                     // one line for the operator
  std::optional<std::int64_t> target_id;   // the member that will be active
};

struct PoolStatus {
  std::optional<std::int64_t> active_id;
  std::optional<std::int64_t> switching_to;
  std::string phase;  // steady | confirming | switching | down
  std::string published_ipv4;
  std::int64_t last_failover_ms = kNever;
};

class DecisionEngine {
 public:
  explicit DecisionEngine(std::int64_t started_ms) : started_ms_(started_ms) {}

  // Configuration, mirrored from the store.
  void put_pool(const PoolSettings& pool);
  void remove_pool(std::int64_t pool_id);
  void put_member(const MemberSettings& member);
  void remove_member(std::int64_t member_id);
  void restore(const LastSeen& seen);
  void restore_published(std::int64_t pool_id, const std::string& ipv4, std::int64_t last_failover_ms);
  // A failover that was under way when the control plane stopped: finish it.
  Actions resume(std::int64_t pool_id, std::int64_t target_id, const std::string& reason, const std::string& actor,
                 std::int64_t now);

  Actions on_heartbeat(std::int64_t member_id, protocol::HaproxyState haproxy, const std::string& observed_ip,
                       std::int64_t now);
  Actions on_probe_vote(std::int64_t pool_id, const ProbeVote& vote, std::int64_t now);
  // Re-judges every pool (silence and grace periods expire without any input).
  Actions on_tick(std::int64_t now);
  // The same for the given pools only (unknown ids are skipped): the caller can tick the fleet a slice
  // at a time and let heartbeats in between. pool_ids() lists every pool for that.
  Actions on_tick(std::int64_t now, std::span<const std::int64_t> pool_ids);
  std::vector<std::int64_t> pool_ids() const;
  Actions on_dns_result(std::int64_t pool_id, std::int64_t attempt_id, const Status& result, std::int64_t now);

  // Operator requests. Errors are refusals with a reason; with dry_run nothing changes.
  Result<Plan> request_failover(std::int64_t pool_id, std::int64_t target_id, bool force, bool dry_run,
                                const std::string& actor, std::int64_t now, Actions& out);
  Result<Plan> set_maintenance(std::int64_t member_id, bool on, bool force, bool dry_run, const std::string& actor,
                               std::int64_t now, Actions& out);

  std::optional<PoolStatus> status(std::int64_t pool_id, std::int64_t now) const;
  // Why a member is or is not failover-ready right now ("ready", "silent for 4 s", "HAProxy stopped", ...).
  std::string readiness(std::int64_t member_id, std::int64_t now) const;

 private:
  struct Member {
    MemberSettings s;
    std::int64_t last_heartbeat = kNever;
    protocol::HaproxyState haproxy = protocol::HaproxyState::unknown;
    std::int64_t haproxy_down_since = kNever;
    std::int64_t healthy_since = kNever;
    bool was_healthy = false;
    bool seen_since_start = false;
    std::string observed_ip;
  };
  struct Confirmation {
    std::int64_t probe_id = 0;
    std::int64_t started = 0;
    std::set<std::int64_t> asked;   // standbys asked to vote
    std::set<std::int64_t> voted;   // voters heard from (0 = control plane)
    int reachable = 0;
    int unreachable = 0;
  };
  struct Switch {
    std::int64_t target = 0;
    std::int64_t attempt_id = 0;
    std::string ipv4;
    std::string reason;
    std::string actor;
    bool planned_maintenance = false;  // the old active goes to maintenance
    bool forced = false;
    bool in_flight = false;
    int attempts = 0;
    std::int64_t started = 0;
    std::int64_t next_attempt = 0;
  };
  struct Sync {
    std::int64_t attempt_id = 0;
    std::string ipv4;
    bool in_flight = false;
    int attempts = 0;
    std::int64_t next_attempt = 0;
  };
  struct Pool {
    PoolSettings s;
    std::optional<std::int64_t> active;
    // Boxed rather than inline: most pools, most of the time, do none of these, and a pool is ~300
    // bytes lighter without their space (the ≤ 2 KB per member budget, DESIGN.md).
    std::unique_ptr<Confirmation> confirming;
    std::unique_ptr<Switch> switching;
    std::unique_ptr<Sync> sync;
    std::int64_t last_failover = kNever;
    bool down_alerted = false;
    bool lost_contact_noted = false;
    std::int64_t lost_contact_since = kNever;
    std::int64_t hold_until = kNever;  // a forced cutover: no automatic moves until then
    std::string published_ip;
  };

  // Health (DESIGN.md "healthy", "failover-ready standby").
  bool fresh(const Member& m, const Pool& p, std::int64_t now) const;
  bool haproxy_ok(const Member& m, const Pool& p) const;
  bool healthy(const Member& m, const Pool& p, std::int64_t now) const;
  bool ready(const Member& m, const Pool& p, std::int64_t now) const;
  std::string unready_reason(const Member& m, const Pool& p, std::int64_t now) const;
  void track_health(Member& m, const Pool& p, std::int64_t now);
  const Member* best_standby(const Pool& p, std::int64_t now, std::optional<std::int64_t> exclude) const;
  std::string publish_address(const Pool& p, const Member& m) const;

  void evaluate(Pool& p, std::int64_t now, Actions& out);
  void judge_silent_active(Pool& p, const Member& active, std::int64_t now, Actions& out);
  void start_confirmation(Pool& p, const Member& active, std::int64_t now, Actions& out);
  void consider_failback(Pool& p, const Member& active, std::int64_t now, Actions& out);
  void consider_dns_sync(Pool& p, const Member& active, std::int64_t now, Actions& out);
  void start_switch(Pool& p, const Member& target, std::string reason, std::string actor, bool planned, bool forced,
                    std::int64_t now, Actions& out);
  void fail_over(Pool& p, const std::string& reason, std::int64_t now, Actions& out);
  void drive_switch(Pool& p, std::int64_t now, Actions& out);
  void commit_switch(Pool& p, std::int64_t now, Actions& out);
  void event(Actions& out, const Pool& p, const std::string& kind, const std::string& member, const std::string& actor,
             const std::string& message) const;
  std::string name_of(std::optional<std::int64_t> member_id) const;

  std::int64_t started_ms_;
  std::int64_t next_id_ = 1;
  // Ids of each pool's members, so that pool decisions cost the pool's size, not the fleet's.
  // Ascending ids; pools are small, so a sorted vector beats a tree in memory and in cache misses.
  const std::vector<std::int64_t>& member_ids(std::int64_t pool_id) const;

  // Hash maps: every heartbeat looks up its member and pool (a tree of 10 000 members costs a dozen
  // cache misses per lookup). Nothing depends on their iteration order.
  std::unordered_map<std::int64_t, Pool> pools_;
  std::unordered_map<std::int64_t, Member> members_;
  std::unordered_map<std::int64_t, std::vector<std::int64_t>> pool_members_;
};

}  // namespace balctl::failover
