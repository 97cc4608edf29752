// Runs the decision engine for the control plane: feeds it every heartbeat (on the request's thread: the
// state-change heartbeat decides at once), probe votes, DNS results and a 100 ms tick; carries out its
// actions (store, events, DNS executor, probes); and answers operator requests. The engine is guarded by
// one mutex that is never held across I/O.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "common/work_queue.hpp"
#include "server/dns/dns_bindings.hpp"
#include "server/events/event_log.hpp"
#include "server/failover/decision_engine.hpp"
#include "server/failover/dns_executor.hpp"
#include "server/failover/probe_board.hpp"
#include "server/fleet/fleet_observer.hpp"
#include "server/fleet/registry.hpp"
#include "server/liveness/heartbeat_observer.hpp"
#include "server/liveness/liveness_table.hpp"
#include "server/store/store.hpp"

namespace balctl::failover {

struct FailoverSettings {
  std::int64_t interval_ms = 1000;  // heartbeat interval told to agents
  std::chrono::milliseconds tick{100};
  std::chrono::milliseconds verify_timeout{10'000};
  std::int64_t record_check_ms = 60'000;  // each pool's record is read back this often (drift)
};

// Removes a member the way the admin API does (store, registry, observers, event).
using MemberRemover = std::function<Status(std::int64_t member_id, const std::string& actor)>;

class FailoverService final : public fleet::FleetObserver, public liveness::HeartbeatObserver {
 public:
  FailoverService(store::Store& store, fleet::Registry& registry, liveness::LivenessTable& liveness,
                  events::EventLog& events, dns::DnsBindings& bindings, FailoverSettings settings);
  ~FailoverService() override;

  // Loads pools, members, last liveness and interrupted failovers; starts the tick.
  Status start();
  void stop();

  std::vector<protocol::ProbeTask> on_heartbeat(const liveness::HeartbeatFacts& facts) override;
  void pool_changed(const store::PoolRecord& pool) override;
  void pool_removed(std::int64_t pool_id) override;
  void member_changed(const store::MemberRecord& member) override;
  void member_removed(std::int64_t member_id) override;
  void dns_binding_changed(std::int64_t pool_id);

  Result<Plan> failover(std::string_view pool, std::string_view target, bool force, bool dry_run,
                        const std::string& actor);
  Result<Plan> maintenance(std::string_view pool, std::string_view member, bool on, bool force, bool dry_run,
                           const std::string& actor);
  // plan.remove_now: the caller removes the member; otherwise it is removed after the cutover.
  Result<Plan> request_removal(std::int64_t member_id, bool force, bool dry_run, const std::string& actor);
  Result<Plan> cancel_switch(std::string_view pool, const std::string& actor);
  Result<Plan> retry_switch(std::string_view pool, const std::string& actor);
  // After a provider was bound: publish the active's address, or (publish false) only judge `answers`.
  Result<Plan> after_binding(std::int64_t pool_id, const std::vector<std::string>& answers, bool publish,
                             const std::string& actor);
  // What the record answers, read outside a CheckRecord (`dns check`).
  void record_observed(std::int64_t pool_id, const std::vector<std::string>& answers);
  void set_member_remover(MemberRemover remover) { remover_ = std::move(remover); }
  std::optional<PoolStatus> status(std::int64_t pool_id);
  std::string readiness(std::int64_t member_id);

 private:
  PoolSettings settings_of(const store::PoolRecord& pool);
  void execute(const Actions& actions);
  void probe_from_here(const ProbeRequest& request);
  void check_record(const CheckRecord& check);
  Result<Plan> with_engine(const std::function<Result<Plan>(DecisionEngine&, std::int64_t now, Actions&)>& request);
  void persist(const PersistPending& pending);
  void tick_loop();
  void tick_all_pools();

  store::Store& store_;
  fleet::Registry& registry_;
  liveness::LivenessTable& liveness_;
  events::EventLog& events_;
  dns::DnsBindings& bindings_;
  const FailoverSettings settings_;

  std::mutex engine_mutex_;
  DecisionEngine engine_;
  ProbeBoard board_;
  std::unique_ptr<DnsExecutor> dns_;
  WorkQueue probes_;
  WorkQueue record_checks_;
  MemberRemover remover_;

  std::mutex tick_mutex_;
  std::condition_variable tick_wake_;
  bool stopping_ = false;
  std::thread ticker_;
};

}  // namespace balctl::failover
