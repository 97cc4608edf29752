// Operator requests and pool life-cycle rules: removal of the active, cancel/retry of a switch, a pool
// without an active, a new active that has not reported yet, recovery of a pool that was down.
#include "unit/server/failover/engine_fixture.hpp"

namespace balctl::failover {
namespace {

using namespace engine_test;

TEST_F(EngineTest, RemovingTheActiveCutsOverFirstAndThenRemovesIt) {
  run_healthy(kStart + 5000);
  Actions out;
  auto dry = engine_->request_removal(kA, false, true, "admin:ops", now_, out);
  ASSERT_TRUE(dry.ok());
  EXPECT_FALSE(dry->remove_now);
  EXPECT_NE(dry->summary.find("cut over first"), std::string::npos);
  EXPECT_TRUE(out.empty());
  const auto plan = engine_->request_removal(kA, false, false, "admin:ops", now_, out);
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->remove_now) << "the record moves before the member goes";
  const auto apply = first<ApplyDns>(out);
  ASSERT_TRUE(apply);
  EXPECT_NE(apply->ipv4, "192.0.2.1");
  const auto committed = dns_ok(*apply);
  const auto removal = first<RemoveMember>(committed);
  ASSERT_TRUE(removal);
  EXPECT_EQ(removal->member_id, kA);
  EXPECT_EQ(removal->actor, "admin:ops");
  EXPECT_EQ(first<CommitRoles>(committed)->previous_role, "maintenance");
  EXPECT_TRUE(has_event(committed, "maintenance_on"));
}

TEST_F(EngineTest, RemovingTheActiveWithoutAReadyStandbyNeedsForce) {
  run_healthy(kStart + 5000, {kA});
  Actions out;
  const auto refused = engine_->request_removal(kA, false, false, "t", now_, out);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "member_is_active");
  EXPECT_NE(refused.error().message.find("--force"), std::string::npos);
  const auto forced = engine_->request_removal(kA, true, false, "t", now_, out);
  ASSERT_TRUE(forced.ok());
  EXPECT_TRUE(forced->remove_now);
  EXPECT_TRUE(out.empty());
}

TEST_F(EngineTest, RemovingAStandbyIsImmediate) {
  run_healthy(kStart + 5000);
  Actions out;
  const auto plan = engine_->request_removal(kB, false, false, "t", now_, out);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->remove_now);
  EXPECT_TRUE(out.empty());
}

TEST_F(EngineTest, APoolWithoutAnActiveGetsItsBestReadyStandby) {
  run_healthy(kStart + 5000);
  engine_->remove_member(kA);  // e.g. member remove --force
  const auto promoted = tick_to(now_ + 200);
  const auto apply = first<ApplyDns>(promoted);
  ASSERT_TRUE(apply);
  EXPECT_TRUE(apply->ipv4 == "192.0.2.2" || apply->ipv4 == "192.0.2.3");
  EXPECT_NE(all<RecordEvent>(promoted).front().message.find("no active member"), std::string::npos);
  EXPECT_TRUE(first<CommitRoles>(dns_ok(*apply)));
}

// A pool created long after the control plane started: its first member enrols and is active, but its
// agent has not sent a heartbeat yet. It must not be "down" 60 ms later.
TEST_F(EngineTest, AnActiveThatHasNotReportedYetIsJudgedOnlyAfterADelay) {
  now_ = kStart + 600'000;
  PoolSettings pool = pool_;
  pool.id = 2;
  pool.name = "new";
  pool.hostname = "new.example.com";
  engine_->put_pool(pool);
  engine_->put_member({20, 2, "new-a", "192.0.2.20", "active", 100, true});
  Actions early;
  for (int i = 0; i < 25; ++i) {
    now_ += 100;
    auto a = engine_->on_tick(now_);
    early.insert(early.end(), a.begin(), a.end());
  }
  EXPECT_FALSE(has_event(early, "pool_down"));
  const auto later = tick_to(now_ + 1000);
  EXPECT_TRUE(has_event(later, "pool_down")) << "an agent that never reports is down after one delay";
}

TEST_F(EngineTest, APoolThatWasDownRecordsItsRecovery) {
  run_healthy(kStart + 5000);
  hb(kB, HaproxyState::stopped);
  hb(kC, HaproxyState::stopped);
  ASSERT_TRUE(has_event(hb(kA, HaproxyState::stopped), "pool_down"));
  now_ += 1000;
  const auto back = hb(kA);
  EXPECT_TRUE(has_event(back, "pool_recovered"));
  EXPECT_FALSE(has_event(step(now_ + 1000, {{kA, kUp}}), "pool_recovered")) << "once";
  EXPECT_EQ(engine_->status(kPool, now_)->phase, "steady");
}

TEST_F(EngineTest, ARecoveryByFailoverIsRecordedWhenTheRecordMoved) {
  run_healthy(kStart + 5000, {kA, kB});  // lb-c never reports
  hb(kB, HaproxyState::stopped);
  ASSERT_TRUE(has_event(hb(kA, HaproxyState::stopped), "pool_down"));
  Actions out;
  for (int i = 0; i < 12 && !first<ApplyDns>(out); ++i) {
    out = step(now_ + 1000, {{kA, HaproxyState::stopped}, {kB, kUp}});
  }
  const auto apply = first<ApplyDns>(out);
  ASSERT_TRUE(apply) << "lb-b came back and settled";
  EXPECT_FALSE(has_event(out, "pool_recovered")) << "not before the record moved";
  EXPECT_TRUE(has_event(dns_ok(*apply), "pool_recovered"));
}

TEST_F(EngineTest, ACancelledSwitchStopsAndHoldsAutomaticFailover) {
  run_healthy(kStart + 5000);
  const auto apply = first<ApplyDns>(hb(kA, HaproxyState::stopped));
  ASSERT_TRUE(apply);
  engine_->on_dns_result(kPool, apply->attempt_id, Error{Errc::forbidden, "dns_auth", "bad key", {}}, now_);
  const auto status = engine_->status(kPool, now_);
  EXPECT_EQ(status->switch_attempts, 1);
  EXPECT_EQ(status->last_switch_error, "bad key");
  EXPECT_EQ(status->next_attempt_ms, now_ + 1000);
  Actions out;
  const auto cancelled = engine_->cancel_switch(kPool, "admin:ops", now_, out);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_TRUE(has_event(out, "failover_cancelled"));
  EXPECT_EQ(engine_->status(kPool, now_)->phase, "steady");
  Actions held;
  for (int i = 0; i < 28; ++i) {
    auto a = step(now_ + 1000, {{kA, HaproxyState::stopped}, {kB, kUp}, {kC, kUp}});
    held.insert(held.end(), a.begin(), a.end());
  }
  EXPECT_FALSE(first<ApplyDns>(held)) << "held for the dwell time";
  EXPECT_EQ(engine_->cancel_switch(kPool, "t", now_, out).error().code, "no_failover_in_progress");
}

TEST_F(EngineTest, RetryNowSkipsTheBackoff) {
  run_healthy(kStart + 5000);
  const auto apply = first<ApplyDns>(hb(kA, HaproxyState::stopped));
  ASSERT_TRUE(apply);
  Actions out;
  EXPECT_TRUE(engine_->retry_switch(kPool, "t", now_, out).ok()) << "in flight: nothing to do";
  EXPECT_FALSE(first<ApplyDns>(out));
  for (int i = 0; i < 4; ++i) {
    const auto attempt = i == 0 ? *apply : *first<ApplyDns>(out);
    engine_->on_dns_result(kPool, attempt.attempt_id, Error{Errc::unavailable, "dns_timeout", "slow", {}}, now_);
    out.clear();
    ASSERT_TRUE(engine_->retry_switch(kPool, "admin:ops", now_, out).ok());
    ASSERT_TRUE(first<ApplyDns>(out)) << "at once, not after the backoff";
    EXPECT_TRUE(has_event(out, "failover_retry"));
  }
  EXPECT_EQ(engine_->status(kPool, now_)->switch_attempts, 5);
}

}  // namespace
}  // namespace balctl::failover
