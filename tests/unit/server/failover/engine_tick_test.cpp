// The failover ticker judges the fleet a slice of pools at a time (so heartbeats are not held up behind
// one pass over every pool): a slice must judge exactly its pools, and the slices together all of them.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "server/failover/decision_engine.hpp"

namespace balctl::failover {
namespace {

constexpr std::int64_t kStart = 1'000'000;
constexpr std::int64_t kDelayMs = 3000;

std::set<std::int64_t> pools_switched(const Actions& actions) {
  std::set<std::int64_t> pools;
  for (const auto& action : actions) {
    if (const auto* apply = std::get_if<ApplyDns>(&action)) pools.insert(apply->pool_id);
  }
  return pools;
}

// Pools 1..n, each with an active (id 10p) and a standby (10p+1) that both report until kLastFromActives;
// after that only the standbys report, so at judge_at every active is silent past its delay.
class EngineTickTest : public ::testing::Test {
 protected:
  void make_pools(int n) { make_pools(engine_, n); }
  void make_pools(DecisionEngine& engine, int n) {
    for (std::int64_t p = 1; p <= n; ++p) {
      PoolSettings pool;
      pool.id = p;
      pool.name = "pool-" + std::to_string(p);
      pool.hostname = "lb" + std::to_string(p) + ".example.com";
      pool.delay_ms = kDelayMs;
      pool.has_dns = true;
      engine.put_pool(pool);
      engine.put_member({10 * p, p, "a" + std::to_string(p), "192.0.2.1", "active", 100, true});
      engine.put_member({10 * p + 1, p, "b" + std::to_string(p), "192.0.2.2", "standby", 100, true});
    }
    for (std::int64_t now = kStart; now <= kLastFromActives; now += 1000) {
      for (std::int64_t p = 1; p <= n; ++p) {
        engine.on_heartbeat(10 * p, protocol::HaproxyState::running, "", now);
        engine.on_heartbeat(10 * p + 1, protocol::HaproxyState::running, "", now);
      }
    }
    // Before the actives' delay runs out, so no heartbeat decides anything: only a tick can.
    for (std::int64_t p = 1; p <= n; ++p) {
      engine.on_heartbeat(10 * p + 1, protocol::HaproxyState::running, "", kLastFromActives + 2000);
    }
  }

  static constexpr std::int64_t kLastFromActives = kStart + 5000;
  static constexpr std::int64_t judge_at = kLastFromActives + kDelayMs + 500;
  DecisionEngine engine_{kStart};
};

TEST_F(EngineTickTest, PoolIdsListsEveryPoolOnce) {
  make_pools(5);
  auto ids = engine_.pool_ids();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::int64_t>{1, 2, 3, 4, 5}));
  engine_.remove_pool(3);
  EXPECT_EQ(engine_.pool_ids().size(), 4u);
}

TEST_F(EngineTickTest, ASliceJudgesOnlyItsPoolsAndSkipsUnknownIds) {
  make_pools(4);
  const std::vector<std::int64_t> first_slice{2, 4, 99};
  EXPECT_EQ(pools_switched(engine_.on_tick(judge_at, first_slice)), (std::set<std::int64_t>{2, 4}));
  const std::vector<std::int64_t> rest{1, 3};
  EXPECT_EQ(pools_switched(engine_.on_tick(judge_at, rest)), (std::set<std::int64_t>{1, 3}));
}

TEST_F(EngineTickTest, SlicesTogetherDecideWhatOneFullTickDecides) {
  DecisionEngine whole(kStart);
  make_pools(whole, 7);
  DecisionEngine sliced(kStart);
  make_pools(sliced, 7);
  const auto all_at_once = pools_switched(whole.on_tick(judge_at));
  std::set<std::int64_t> by_slices;
  const auto ids = sliced.pool_ids();
  for (std::size_t begin = 0; begin < ids.size(); begin += 3) {
    const auto slice = std::span(ids).subspan(begin, std::min<std::size_t>(3, ids.size() - begin));
    const auto switched = pools_switched(sliced.on_tick(judge_at, slice));
    by_slices.insert(switched.begin(), switched.end());
  }
  EXPECT_EQ(all_at_once.size(), 7u);
  EXPECT_EQ(by_slices, all_at_once);
}

}  // namespace
}  // namespace balctl::failover
