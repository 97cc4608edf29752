// The failover decision engine: one pure state machine for all pools, fed by heartbeats, probe votes,
// DNS results, operator requests and a clock, returning the actions to carry out. Rules (DESIGN.md words):
//  - the active is unhealthy when its heartbeats stop for the pool's delay, or (preset haproxy) it reports
//    HAProxy stopped/absent for longer than the grace; a stopped HAProxy needs no confirmation, silence
//    does: standbys and the control plane probe the active's frontend ports in rounds; only a complete
//    round (every vote in, or its deadline passed) gives a verdict, a missing answer is never a vote for
//    "down", and the last verdict holds until another complete round says otherwise; we fail over only
//    when a majority of the vantage points that answered could not reach the service;
//  - the target is the best failover-ready standby (priority, then freshest heartbeat); never an
//    unhealthy member, one in maintenance, or one silent for more than 3 intervals; a member that came
//    back must stay healthy for the settle time first;
//  - automatic moves of a healthy active (fail-back) wait for the dwell time since the last failover;
//  - after a start, members get one delay to report before anyone is judged; an active that never
//    reported is judged one delay after the engine first saw it (not at once: its agent is starting);
//  - a pool without an active gets its best ready standby;
//  - the engine owns the record: it is read back periodically and put back to the active's address when
//    it is found pointing elsewhere (dns_repair).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "server/failover/engine_types.hpp"

namespace balctl::failover {

inline constexpr std::int64_t kNever = INT64_MIN / 4;

struct Plan {
  std::string summary;                     // one line for the operator
  std::optional<std::int64_t> target_id;   // the member that will be active
  bool remove_now = false;                 // request_removal: the member may be removed at once
};

// Why the engine writes the active's address without a change of active: dns-sync (the active's observed
// address moved), repair (the record was found pointing elsewhere), publish (a provider was just bound, or
// an operator asked to re-publish).
enum class RepublishPurpose { sync, repair, publish };

// What the control plane last read back from the pool's record (drift checks, `dns check`).
enum class RecordState { unknown, matches, mismatch };
std::string_view to_string(RecordState state);

struct PoolStatus {
  std::optional<std::int64_t> active_id;
  std::optional<std::int64_t> switching_to;
  std::string phase;  // steady | confirming | switching | down
  std::string published_ipv4;
  std::int64_t last_failover_ms = kNever;
  // A switch in progress: attempts so far, when the next one starts (kNever: one is in flight), why the
  // last one failed.
  int switch_attempts = 0;
  std::int64_t next_attempt_ms = kNever;
  std::string last_switch_error;
  RecordState record = RecordState::unknown;
  std::vector<std::string> record_answers;  // what the record answered at the last read-back
  std::int64_t record_checked_ms = kNever;
  std::string expected_ipv4;  // what the record should answer: the active's address
};

class DecisionEngine {
 public:
  explicit DecisionEngine(std::int64_t started_ms) : started_ms_(started_ms) {}

  // Configuration, mirrored from the store.
  void put_pool(const PoolSettings& pool);
  // A DNS provider was bound, replaced or removed: forget what was published and read through the old one.
  Actions binding_changed(std::int64_t pool_id);
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
  // What the record answered when it was read back (a CheckRecord, `dns check`); epoch 0: a read that no
  // CheckRecord asked for, judged unless a change is under way.
  Actions on_record_observed(std::int64_t pool_id, std::int64_t epoch, const Result<std::vector<std::string>>& answer,
                             std::int64_t now);

  // Operator requests. Errors are refusals with a reason; with dry_run nothing changes.
  Result<Plan> request_failover(std::int64_t pool_id, std::int64_t target_id, bool force, bool dry_run,
                                const std::string& actor, std::int64_t now, Actions& out);
  Result<Plan> set_maintenance(std::int64_t member_id, bool on, bool force, bool dry_run, const std::string& actor,
                               std::int64_t now, Actions& out);
  // Removing the active first moves the record to a ready standby (a planned cutover, then RemoveMember);
  // without one it is refused unless forced. Other members: plan.remove_now.
  Result<Plan> request_removal(std::int64_t member_id, bool force, bool dry_run, const std::string& actor,
                               std::int64_t now, Actions& out);
  // A switch that keeps failing: stop it (automatic moves are then held for the dwell time), or start
  // its next attempt now instead of after the backoff.
  Result<Plan> cancel_switch(std::int64_t pool_id, const std::string& actor, std::int64_t now, Actions& out);
  Result<Plan> retry_switch(std::int64_t pool_id, const std::string& actor, std::int64_t now, Actions& out);
  // A provider was bound: publish the healthy active's address (verified like a failover).
  Result<Plan> publish(std::int64_t pool_id, const std::string& actor, std::int64_t now, Actions& out);

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
    std::int64_t first_judged = kNever;  // when the engine first judged it as an active that never reported
    std::string observed_ip;
  };
  // One round of probes of a silent active: who was asked, who answered what.
  struct ProbeRound {
    std::int64_t probe_id = 0;
    std::int64_t started = 0;
    std::int64_t deadline = 0;      // judged with the answers it has by then
    std::set<std::int64_t> asked;   // standbys asked to vote
    std::set<std::int64_t> voted;   // voters heard from (0 = control plane)
    int reachable = 0;
    int unreachable = 0;
    bool judged = false;
  };
  enum class Verdict { unknown, reachable, unreachable };
  // Confirmation of a silent active: the current round and the verdict of the last complete one, which
  // holds until another complete round says otherwise.
  struct Confirmation {
    ProbeRound round;
    Verdict verdict = Verdict::unknown;
    std::string verdict_detail;  // "reachable from 2 of 2 vantage points that answered"
  };
  struct Switch {
    std::int64_t target = 0;
    std::int64_t attempt_id = 0;
    std::string ipv4;
    std::string reason;
    std::string actor;
    bool planned_maintenance = false;  // the old active goes to maintenance
    bool remove_previous = false;      // ... and is then removed (member remove of the active)
    bool forced = false;
    bool in_flight = false;
    int attempts = 0;
    std::int64_t started = 0;
    std::int64_t next_attempt = 0;
    std::string last_error;
  };
  using Purpose = RepublishPurpose;
  struct Republish {
    std::int64_t attempt_id = 0;
    std::string ipv4;
    Purpose purpose = Purpose::sync;
    std::string actor;
    bool in_flight = false;
    int attempts = 0;
    std::int64_t next_attempt = 0;
  };
  // The last read-back of the record.
  struct RecordCheck {
    RecordState state = RecordState::unknown;
    std::vector<std::string> answers;
    std::int64_t checked_at = kNever;
    bool drift_noted = false;  // dns_drift raised for the current mismatch
  };
  struct Pool {
    PoolSettings s;
    std::optional<std::int64_t> active;
    // Boxed rather than inline: most pools, most of the time, do none of these, and a pool is ~300
    // bytes lighter without their space (the ≤ 2 KB per member budget, DESIGN.md).
    std::unique_ptr<Confirmation> confirming;
    std::unique_ptr<Switch> switching;
    std::unique_ptr<Republish> republish;
    std::unique_ptr<RecordCheck> record;
    std::int64_t record_epoch = 1;           // bumped by every change of the record
    std::int64_t next_record_check = kNever;  // kNever: not scheduled yet
    bool record_check_in_flight = false;
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
  void evaluate_fresh_active(Pool& p, const Member& active, bool in_start_grace, std::int64_t now, Actions& out);
  void promote_if_no_active(Pool& p, std::int64_t now, Actions& out);
  void consider_failback(Pool& p, const Member& active, std::int64_t now, Actions& out);
  void note_recovered(Pool& p, const std::string& how, Actions& out);

  // Confirmation of a silent active (engine_confirmation.cpp).
  void judge_silent_active(Pool& p, const Member& active, std::int64_t now, Actions& out);
  void advance_confirmation(Pool& p, const Member& active, std::int64_t now, Actions& out);
  void start_round(Pool& p, const Member& active, std::int64_t now, Actions& out);
  bool round_complete(const Pool& p, std::int64_t now) const;
  void judge_round(Pool& p);

  // The record (engine_record.cpp): publishing, read-backs, drift and repair.
  void consider_record(Pool& p, const Member& active, std::int64_t now, Actions& out);
  void schedule_record_check(Pool& p, std::int64_t now, Actions& out);
  void start_republish(Pool& p, const std::string& address, Purpose purpose, const std::string& actor,
                       std::int64_t now, Actions& out);
  void drive_republish(Pool& p, std::int64_t now, Actions& out);
  void finish_republish(Pool& p, const Status& result, std::int64_t now, Actions& out);
  void record_published(Pool& p, const std::string& address, std::int64_t now);
  std::string expected_address(const Pool& p) const;
  // Persists the pool's failover state as it is now (published address, the switch under way if any).
  void persist_state(const Pool& p, Actions& out) const;

  struct SwitchOptions {
    bool planned = false;         // the old active goes to maintenance
    bool remove_previous = false;  // ... and is removed once the record moved
    bool forced = false;
  };
  void start_switch(Pool& p, const Member& target, std::string reason, std::string actor, SwitchOptions options,
                    std::int64_t now, Actions& out);
  void fail_over(Pool& p, const std::string& reason, std::int64_t now, Actions& out);
  Result<Plan> republish_active(Pool& p, const Member& active, bool dry_run, const std::string& actor,
                                std::int64_t now, Actions& out);
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
