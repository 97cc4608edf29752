// The decision engine under test: one pool "web" (lb.example.com, delay 3 s, grace 0) with an active lb-a
// and two standbys lb-b and lb-c, a clock the test moves, and helpers to feed heartbeats and ticks.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/failover/decision_engine.hpp"

namespace balctl::failover::engine_test {

using protocol::HaproxyState;

inline constexpr std::int64_t kStart = 1'000'000;
inline constexpr std::int64_t kPool = 1;
inline constexpr std::int64_t kA = 10;  // active
inline constexpr std::int64_t kB = 11;
inline constexpr std::int64_t kC = 12;

template <class T>
std::vector<T> all(const Actions& actions) {
  std::vector<T> out;
  for (const auto& action : actions) {
    if (const auto* typed = std::get_if<T>(&action)) out.push_back(*typed);
  }
  return out;
}

template <class T>
std::optional<T> first(const Actions& actions) {
  auto found = all<T>(actions);
  if (found.empty()) return std::nullopt;
  return found.front();
}

inline bool has_event(const Actions& actions, const std::string& kind) {
  for (const auto& e : all<RecordEvent>(actions)) {
    if (e.kind == kind) return true;
  }
  return false;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { configure(); }

  void configure(std::vector<int> probe_ports = {}, std::string failback = "none", bool has_dns = true) {
    engine_ = std::make_unique<DecisionEngine>(kStart);
    PoolSettings pool;
    pool.id = kPool;
    pool.name = "web";
    pool.hostname = "lb.example.com";
    pool.delay_ms = 3000;
    pool.grace_ms = 0;
    pool.failback = std::move(failback);
    pool.failback_after_ms = 5000;
    pool.dwell_ms = 30'000;
    pool.settle_ms = 10'000;
    pool.probe_ports = std::move(probe_ports);
    pool.has_dns = has_dns;
    engine_->put_pool(pool);
    pool_ = pool;
    member(kA, "lb-a", "192.0.2.1", "active", 100);
    member(kB, "lb-b", "192.0.2.2", "standby", 100);
    member(kC, "lb-c", "192.0.2.3", "standby", 100);
    now_ = kStart;
  }

  void member(std::int64_t id, std::string host, std::string ip, std::string role, std::int64_t priority) {
    engine_->put_member({id, kPool, std::move(host), std::move(ip), std::move(role), priority, true});
  }

  Actions hb(std::int64_t id, HaproxyState state = HaproxyState::running, std::string observed = "198.51.100.1") {
    return engine_->on_heartbeat(id, state, observed, now_);
  }
  // Everyone reports every second until `until`.
  Actions run_healthy(std::int64_t until, std::vector<std::int64_t> members = {kA, kB, kC}) {
    Actions out;
    for (; now_ < until; now_ += 1000) {
      for (auto id : members) {
        auto a = hb(id);
        out.insert(out.end(), a.begin(), a.end());
      }
    }
    return out;
  }
  Actions tick_to(std::int64_t until, std::int64_t step = 100) {
    Actions out;
    for (; now_ <= until; now_ += step) {
      auto a = engine_->on_tick(now_);
      out.insert(out.end(), a.begin(), a.end());
    }
    now_ -= step;
    return out;
  }
  Actions dns_ok(const ApplyDns& apply) { return engine_->on_dns_result(kPool, apply.attempt_id, {}, now_); }

  // Moves the clock to `at`, delivers the given heartbeats and a tick, and returns every action.
  Actions step(std::int64_t at, std::vector<std::pair<std::int64_t, HaproxyState>> reports) {
    now_ = at;
    Actions out;
    for (const auto& [id, state] : reports) {
      auto a = hb(id, state);
      out.insert(out.end(), a.begin(), a.end());
    }
    auto a = engine_->on_tick(now_);
    out.insert(out.end(), a.begin(), a.end());
    return out;
  }
  static constexpr auto kUp = HaproxyState::running;

  struct PendingVote {
    std::int64_t at;
    std::int64_t probe_id;
    std::int64_t voter;
  };
  // Delivers the votes due by `t` (all with the same answer).
  void deliver_votes_until(std::int64_t t, Actions& out, bool reachable) {
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->at > t) {
        ++it;
        continue;
      }
      auto a = engine_->on_probe_vote(kPool, {it->probe_id, it->voter, reachable}, t);
      out.insert(out.end(), a.begin(), a.end());
      it = pending_.erase(it);
    }
  }
  std::vector<PendingVote> pending_;

  // Changes the pool's settings as the store would.
  template <class Change>
  void change_pool(Change change) {
    change(pool_);
    engine_->put_pool(pool_);
  }

  std::unique_ptr<DecisionEngine> engine_;
  PoolSettings pool_;
  std::int64_t now_ = kStart;
};

}  // namespace balctl::failover::engine_test
