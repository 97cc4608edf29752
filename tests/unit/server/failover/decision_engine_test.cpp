#include "unit/server/failover/engine_fixture.hpp"

namespace balctl::failover {
namespace {

using namespace engine_test;

TEST_F(EngineTest, HaproxyStoppedOnTheActiveFailsOverAtOnceAndCommitsAfterDns) {
  run_healthy(kStart + 5000);
  const auto decided = hb(kA, HaproxyState::stopped);
  const auto apply = first<ApplyDns>(decided);
  ASSERT_TRUE(apply) << "grace 0: the state-change heartbeat itself decides";
  EXPECT_EQ(apply->fqdn, "lb.example.com");
  EXPECT_TRUE(apply->ipv4 == "192.0.2.2" || apply->ipv4 == "192.0.2.3");
  EXPECT_EQ(first<PersistPending>(decided)->target_member_id.has_value(), true);
  EXPECT_TRUE(has_event(decided, "failover_started"));
  EXPECT_EQ(engine_->status(kPool, now_)->phase, "switching");

  const auto committed = dns_ok(*apply);
  const auto roles = first<CommitRoles>(committed);
  ASSERT_TRUE(roles);
  EXPECT_EQ(roles->previous_active_id, kA);
  EXPECT_EQ(roles->previous_role, "standby");
  EXPECT_EQ(roles->published_ipv4, apply->ipv4);
  EXPECT_TRUE(has_event(committed, "failover"));
    EXPECT_FALSE(first<PersistPending>(committed)->target_member_id.has_value());
  EXPECT_EQ(engine_->status(kPool, now_)->phase, "steady");
}

TEST_F(EngineTest, GraceDelaysAHaproxyFailover) {
  PoolSettings pool;
  pool.id = kPool;
  pool.hostname = "lb.example.com";
  pool.delay_ms = 3000;
  pool.grace_ms = 1000;
  pool.has_dns = true;
  pool.settle_ms = 10'000;
  engine_->put_pool(pool);
  run_healthy(kStart + 5000);
  EXPECT_FALSE(first<ApplyDns>(hb(kA, HaproxyState::stopped)));
  now_ += 500;
  EXPECT_FALSE(first<ApplyDns>(engine_->on_tick(now_)));
  now_ += 500;
  EXPECT_TRUE(first<ApplyDns>(engine_->on_tick(now_)));
}

TEST_F(EngineTest, HaproxyBackWithinGraceCancels) {
  PoolSettings pool;
  pool.id = kPool;
  pool.hostname = "lb.example.com";
  pool.delay_ms = 3000;
  pool.grace_ms = 2000;
  pool.has_dns = true;
  engine_->put_pool(pool);
  run_healthy(kStart + 5000);
  hb(kA, HaproxyState::stopped);
  now_ += 1000;
  hb(kA, HaproxyState::running);
  EXPECT_FALSE(first<ApplyDns>(tick_to(now_ + 3000)));
}

TEST_F(EngineTest, SilentActiveWithoutProbePortsFailsOverAtTheDelay) {
  run_healthy(kStart + 5000);
  const auto last = now_ - 1000;  // A's last heartbeat
  Actions until_delay;
  for (; now_ < last + 3000; now_ += 500) {
    hb(kB);
    hb(kC);
    auto a = engine_->on_tick(now_);
    until_delay.insert(until_delay.end(), a.begin(), a.end());
  }
  EXPECT_FALSE(first<ApplyDns>(until_delay));
  now_ = last + 3001;
  const auto decided = engine_->on_tick(now_);
  ASSERT_TRUE(first<ApplyDns>(decided));
  EXPECT_NE(all<RecordEvent>(decided).back().message.find("no heartbeat"), std::string::npos);
}

TEST_F(EngineTest, NoReadyStandbyMeansPoolDownOnceThenFailoverWhenOneIsReady) {
  run_healthy(kStart + 5000);
  hb(kB, HaproxyState::stopped);
  hb(kC, HaproxyState::absent);
  const auto down = hb(kA, HaproxyState::stopped);
  EXPECT_FALSE(first<ApplyDns>(down));
  EXPECT_TRUE(has_event(down, "pool_down"));
  EXPECT_EQ(engine_->status(kPool, now_)->phase, "down");
  now_ += 1000;
  EXPECT_FALSE(has_event(hb(kA, HaproxyState::stopped), "pool_down")) << "raised once";
  // B's HAProxy comes back: B came back, so it must settle before it is trusted.
  hb(kB, HaproxyState::running);
  EXPECT_FALSE(first<ApplyDns>(engine_->on_tick(now_)));
  EXPECT_NE(engine_->readiness(kB, now_).find("settling"), std::string::npos);
  Actions later;
  for (int i = 0; i < 9; ++i) {
    auto a = step(now_ + 1000, {{kA, HaproxyState::stopped}, {kC, HaproxyState::absent}, {kB, kUp}});
    later.insert(later.end(), a.begin(), a.end());
  }
  EXPECT_FALSE(first<ApplyDns>(later)) << "still settling";
  for (int i = 0; i < 2; ++i) {
    auto a = step(now_ + 1000, {{kA, HaproxyState::stopped}, {kC, HaproxyState::absent}, {kB, kUp}});
    later.insert(later.end(), a.begin(), a.end());
  }
  const auto apply = first<ApplyDns>(later);
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->ipv4, "192.0.2.2");
}

TEST_F(EngineTest, NeverPromotesMaintenanceStaleOrUnhealthyMembers) {
  member(kC, "lb-c", "192.0.2.3", "maintenance", 500);
  run_healthy(kStart + 5000);
  EXPECT_EQ(engine_->readiness(kC, now_), "in maintenance");
  // B reported 3.5 intervals ago: too stale although within the delay.
  for (int i = 0; i < 4; ++i) {
    now_ += 1000;
    hb(kA);
    hb(kC);
  }
  now_ -= 500;
  EXPECT_NE(engine_->readiness(kB, now_ + 0).find("silent"), std::string::npos);
  const auto decided = hb(kA, HaproxyState::stopped);
  EXPECT_FALSE(first<ApplyDns>(decided));
  EXPECT_TRUE(has_event(decided, "pool_down"));
}

TEST_F(EngineTest, PrefersPriorityThenFreshestHeartbeat) {
  member(kC, "lb-c", "192.0.2.3", "standby", 200);
  run_healthy(kStart + 5000);
  auto apply = first<ApplyDns>(hb(kA, HaproxyState::stopped));
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->ipv4, "192.0.2.3");

  configure();
  run_healthy(kStart + 5000);
  now_ += 10;
  hb(kC);  // same priority, fresher
  apply = first<ApplyDns>(hb(kA, HaproxyState::stopped));
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->ipv4, "192.0.2.3");
}

TEST_F(EngineTest, NoJudgementDuringTheStartupGrace) {
  // Right after a restart nobody has reported yet: not even "never heard from" triggers anything.
  EXPECT_TRUE(all<ApplyDns>(tick_to(kStart + 2900)).empty());
  EXPECT_TRUE(all<RecordEvent>(tick_to(kStart + 2950)).empty());
  // Members report during the grace: all is well afterwards.
  run_healthy(kStart + 8000);
  EXPECT_TRUE(all<ApplyDns>(tick_to(now_ + 500)).empty());
}

TEST_F(EngineTest, StoppedHaproxyIsActedOnEvenDuringTheStartupGrace) {
  // The grace protects against judging silence caused by the control plane's own downtime; a report that
  // HAProxy stopped is fresh evidence.
  now_ = kStart + 500;
  hb(kB);
  hb(kC);
  EXPECT_TRUE(first<ApplyDns>(hb(kA, HaproxyState::stopped)));
}

TEST_F(EngineTest, DnsFailureIsRetriedWithBackoffAndAlerted) {
  run_healthy(kStart + 5000);
  auto apply = first<ApplyDns>(hb(kA, HaproxyState::stopped));
  ASSERT_TRUE(apply);
  const auto failed = engine_->on_dns_result(kPool, apply->attempt_id,
                                             Error{Errc::unavailable, "dns_unreachable", "no answer", {}}, now_);
  EXPECT_TRUE(has_event(failed, "failover_failed"));
  const auto failed_at = now_;
  EXPECT_FALSE(first<ApplyDns>(step(failed_at + 500, {{kB, kUp}, {kC, kUp}}))) << "first retry after 1 s";
  auto retry = first<ApplyDns>(step(failed_at + 1000, {{kB, kUp}, {kC, kUp}}));
  ASSERT_TRUE(retry);
  EXPECT_EQ(retry->attempt_id, apply->attempt_id);
  const auto again = engine_->on_dns_result(kPool, retry->attempt_id,
                                            Error{Errc::unavailable, "dns_verify_failed", "old answer", {}}, now_);
  EXPECT_TRUE(has_event(again, "dns_verify_failed"));
  const auto failed_again_at = now_;
  EXPECT_FALSE(first<ApplyDns>(step(failed_again_at + 1500, {{kB, kUp}, {kC, kUp}}))) << "second retry after 2 s";
  retry = first<ApplyDns>(step(failed_again_at + 2000, {{kB, kUp}, {kC, kUp}}));
  ASSERT_TRUE(retry);
  EXPECT_TRUE(first<CommitRoles>(dns_ok(*retry)));
}

TEST_F(EngineTest, TargetThatFailsBeforeTheSwitchIsReplaced) {
  configure({}, "none", true);
  member(kB, "lb-b", "192.0.2.2", "standby", 200);
  run_healthy(kStart + 5000);
  const auto apply = first<ApplyDns>(hb(kA, HaproxyState::stopped));
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->ipv4, "192.0.2.2");
  engine_->on_dns_result(kPool, apply->attempt_id, Error{Errc::unavailable, "dns_timeout", "slow", {}}, now_);
  auto retargeted = step(now_ + 100, {{kB, HaproxyState::stopped}, {kC, kUp}});  // the target dies meanwhile
  const auto more = step(now_ + 1000, {{kC, kUp}});
  retargeted.insert(retargeted.end(), more.begin(), more.end());
  EXPECT_TRUE(has_event(retargeted, "failover_retargeted"));
  const auto next = first<ApplyDns>(retargeted);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->ipv4, "192.0.2.3");
}

TEST_F(EngineTest, OldActiveReturnsAsStandbyWithoutFailback) {
  run_healthy(kStart + 5000);
  const auto apply = first<ApplyDns>(hb(kA, HaproxyState::stopped));
  dns_ok(*apply);
  const auto new_active = first<CommitRoles>(dns_ok(*apply));  // duplicate result: ignored
  EXPECT_FALSE(new_active);
  const auto back = run_healthy(now_ + 120'000);
  EXPECT_TRUE(all<ApplyDns>(back).empty());
  EXPECT_NE(engine_->status(kPool, now_)->active_id, kA);
}

TEST_F(EngineTest, PreferredFailbackWaitsForHealthAndDwell) {
  configure({}, "preferred");
  member(kA, "lb-a", "192.0.2.1", "active", 500);
  run_healthy(kStart + 5000);
  auto apply = first<ApplyDns>(hb(kA, HaproxyState::stopped));
  ASSERT_TRUE(apply);
  dns_ok(*apply);
  const auto failed_over_at = now_;
  // A recovers at once, but the dwell (30 s) keeps the pool still; then A must also have been healthy
  // for failback_after (5 s): the move happens at the dwell boundary.
  Actions actions;
  for (; now_ < failed_over_at + 29'000; now_ += 1000) {
    for (auto id : {kA, kB, kC}) {
      auto a = hb(id);
      actions.insert(actions.end(), a.begin(), a.end());
    }
  }
  EXPECT_TRUE(all<ApplyDns>(actions).empty());
  actions = run_healthy(failed_over_at + 32'000);
  apply = first<ApplyDns>(actions);
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->ipv4, "192.0.2.1");
  EXPECT_NE(all<RecordEvent>(actions).back().message.find("fail-back"), std::string::npos);
}

TEST_F(EngineTest, ManualFailoverRefusesUnhealthyTargetsUnlessForced) {
  run_healthy(kStart + 5000);
  hb(kB, HaproxyState::stopped);
  Actions out;
  auto refused = engine_->request_failover(kPool, kB, false, false, "admin:ops", now_, out);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "target_not_ready");
  EXPECT_TRUE(out.empty());
  engine_->on_record_observed(kPool, 0, std::vector<std::string>{"192.0.2.1"}, now_);
  EXPECT_EQ(engine_->request_failover(kPool, kA, false, false, "admin:ops", now_, out).error().code, "already_active")
      << "the record was read back pointing at the active";
  auto dry = engine_->request_failover(kPool, kC, false, true, "admin:ops", now_, out);
  ASSERT_TRUE(dry.ok());
  EXPECT_NE(dry->summary.find("lb-c (192.0.2.3)"), std::string::npos);
  EXPECT_TRUE(out.empty()) << "dry run changes nothing";
  auto forced = engine_->request_failover(kPool, kB, true, false, "admin:ops", now_, out);
  ASSERT_TRUE(forced.ok());
  const auto apply = first<ApplyDns>(out);
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->ipv4, "192.0.2.2");
  EXPECT_EQ(all<RecordEvent>(out).front().actor, "admin:ops");
}

TEST_F(EngineTest, AForcedCutoverIsHeldForTheDwellTime) {
  run_healthy(kStart + 5000);
  hb(kB, HaproxyState::stopped);
  Actions out;
  ASSERT_TRUE(engine_->request_failover(kPool, kB, true, false, "admin:ops", now_, out).ok());
  const auto committed = dns_ok(*first<ApplyDns>(out));
  EXPECT_TRUE(has_event(committed, "automatic_failover_held"));
  // B is unhealthy, but the operator insisted: no automatic move back for 30 s.
  Actions held;
  for (int i = 0; i < 29; ++i) {
    auto a = step(now_ + 1000, {{kA, kUp}, {kB, HaproxyState::stopped}, {kC, kUp}});
    held.insert(held.end(), a.begin(), a.end());
  }
  EXPECT_FALSE(first<ApplyDns>(held));
  const auto released = step(now_ + 1500, {{kA, kUp}, {kB, HaproxyState::stopped}, {kC, kUp}});
  EXPECT_TRUE(first<ApplyDns>(released)) << "after the dwell the unhealthy active is failed over";
}

TEST_F(EngineTest, MaintenanceOnTheActiveIsAPlannedCutover) {
  run_healthy(kStart + 5000);
  Actions out;
  auto dry = engine_->set_maintenance(kA, true, false, true, "admin:ops", now_, out);
  ASSERT_TRUE(dry.ok());
  EXPECT_NE(dry->summary.find("planned cutover"), std::string::npos);
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(engine_->set_maintenance(kA, true, false, false, "admin:ops", now_, out).ok());
  const auto apply = first<ApplyDns>(out);
  ASSERT_TRUE(apply);
  const auto roles = first<CommitRoles>(dns_ok(*apply));
  ASSERT_TRUE(roles);
  EXPECT_EQ(roles->previous_role, "maintenance");
  EXPECT_EQ(engine_->readiness(kA, now_), "in maintenance");
  out.clear();
  ASSERT_TRUE(engine_->set_maintenance(kA, false, false, false, "admin:ops", now_, out).ok());
  EXPECT_EQ(first<SetRole>(out)->role, "standby");
  EXPECT_NE(engine_->readiness(kA, now_ + 1000).find("settling"), std::string::npos);
}

TEST_F(EngineTest, MaintenanceWithoutAStandbyNeedsForce) {
  run_healthy(kStart + 5000, {kA});
  Actions out;
  EXPECT_EQ(engine_->set_maintenance(kA, true, false, false, "t", now_, out).error().code, "no_standby");
  ASSERT_TRUE(engine_->set_maintenance(kA, true, true, false, "t", now_, out).ok());
  EXPECT_EQ(first<SetRole>(out)->role, "maintenance");
  EXPECT_FALSE(first<ApplyDns>(out));
  out.clear();
  ASSERT_TRUE(engine_->set_maintenance(kB, true, false, false, "t", now_, out).ok());
  EXPECT_EQ(first<SetRole>(out)->member_id, kB);
}

TEST_F(EngineTest, ResumesAnInterruptedFailover) {
  const auto actions = engine_->resume(kPool, kB, "HAProxy stopped on the active", "system", now_);
  EXPECT_TRUE(has_event(actions, "failover_resumed"));
  const auto apply = first<ApplyDns>(actions);
  ASSERT_TRUE(apply) << "resumed at once, even inside the start-up grace";
  EXPECT_EQ(apply->ipv4, "192.0.2.2");
  EXPECT_TRUE(first<CommitRoles>(dns_ok(*apply)));
}

TEST_F(EngineTest, WithoutADnsProviderOnlyRolesChange) {
  configure({}, "none", false);
  run_healthy(kStart + 5000);
  const auto decided = hb(kA, HaproxyState::stopped);
  EXPECT_FALSE(first<ApplyDns>(decided));
  const auto roles = first<CommitRoles>(decided);
  ASSERT_TRUE(roles);
  EXPECT_NE(all<RecordEvent>(decided).back().message.find("no DNS provider"), std::string::npos);
}

TEST_F(EngineTest, DnsSyncPublishesTheObservedAddress) {
  PoolSettings pool;
  pool.id = kPool;
  pool.hostname = "lb.example.com";
  pool.delay_ms = 3000;
  pool.has_dns = true;
  pool.dns_sync = true;
  engine_->put_pool(pool);
  engine_->restore_published(kPool, "198.51.100.1", kNever);
  run_healthy(kStart + 5000);
  EXPECT_TRUE(all<ApplyDns>(run_healthy(kStart + 7000)).empty()) << "already published";
  const auto changed = hb(kA, HaproxyState::running, "203.0.113.9");
  const auto apply = first<ApplyDns>(changed);
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->ipv4, "203.0.113.9");
  EXPECT_TRUE(has_event(dns_ok(*apply), "dns_synced"));
  EXPECT_EQ(engine_->status(kPool, now_)->published_ipv4, "203.0.113.9");
}

TEST_F(EngineTest, OnlyTheSamePoolsMembersAreCandidatesAndMovesAreFollowed) {
  PoolSettings other;
  other.id = 2;
  other.name = "api";
  other.hostname = "api.example.com";
  other.delay_ms = 3000;
  other.has_dns = true;
  engine_->put_pool(other);
  // A healthier-looking member of another pool, and lb-b moved to that pool: neither may take over "web".
  engine_->put_member({20, 2, "api-a", "192.0.2.20", "standby", 500, true});
  engine_->put_member({kB, 2, "lb-b", "192.0.2.2", "standby", 100, true});
  run_healthy(kStart + 5000, {kA, kB, kC, 20});
  const auto apply = first<ApplyDns>(hb(kA, HaproxyState::stopped));
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->ipv4, "192.0.2.3") << "lb-c is the only standby left in web";
  engine_->remove_member(kC);
  engine_->remove_pool(2);
  EXPECT_EQ(engine_->readiness(kB, now_), "unknown member");
}

}  // namespace
}  // namespace balctl::failover
