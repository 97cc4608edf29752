// Confirmation of a silent active by rounds of probes (engine_confirmation.cpp).
#include "unit/server/failover/engine_fixture.hpp"

namespace balctl::failover {
namespace {

using namespace engine_test;

TEST_F(EngineTest, SilentButReachableActiveIsNotFailedOver) {
  configure({80, 443});
  run_healthy(kStart + 5000);
  const auto last = now_ - 1000;
  const auto probing = step(last + 1500, {{kB, kUp}, {kC, kUp}});
  const auto probe = first<ProbeRequest>(probing);
  ASSERT_TRUE(probe) << "probes start once a heartbeat is overdue, before the delay expires";
  EXPECT_EQ(probe->target_ipv4, "192.0.2.1");
  EXPECT_EQ(probe->ports, (std::vector<int>{80, 443}));
  EXPECT_EQ(probe->voters, (std::vector<std::int64_t>{kB, kC}));
  engine_->on_probe_vote(kPool, {probe->probe_id, 0, true}, now_);
  engine_->on_probe_vote(kPool, {probe->probe_id, kB, true}, now_);
  engine_->on_probe_vote(kPool, {probe->probe_id, kB, false}, now_);  // a second vote is ignored
  engine_->on_probe_vote(kPool, {probe->probe_id, 99, false}, now_);  // not asked: ignored
  const auto judged = step(last + 3100, {{kB, kUp}, {kC, kUp}});
  EXPECT_FALSE(first<ApplyDns>(judged));
  EXPECT_TRUE(has_event(judged, "lost_contact_reachable"));
  EXPECT_FALSE(has_event(step(now_ + 200, {{kB, kUp}}), "lost_contact_reachable")) << "raised once per outage";
  now_ += 100;
  EXPECT_TRUE(has_event(hb(kA), "contact_restored"));
}

TEST_F(EngineTest, SilentAndUnreachableActiveFailsOverWhenVotesAgree) {
  configure({80});
  run_healthy(kStart + 5000);
  const auto last = now_ - 1000;
  const auto probe = first<ProbeRequest>(step(last + 1500, {{kB, kUp}, {kC, kUp}}));
  ASSERT_TRUE(probe);
  engine_->on_probe_vote(kPool, {probe->probe_id, 0, false}, now_);
  engine_->on_probe_vote(kPool, {probe->probe_id, kB, false}, now_);
  EXPECT_FALSE(first<ApplyDns>(step(last + 2900, {{kB, kUp}, {kC, kUp}}))) << "not before the delay";
  const auto decided = step(last + 3001, {});
  ASSERT_TRUE(first<ApplyDns>(decided)) << "2 of 3 unreachable: no need to wait for the last vote";
  EXPECT_NE(all<RecordEvent>(decided).back().message.find("unreachable from 2 of 2 vantage points that answered"),
            std::string::npos);
}

TEST_F(EngineTest, MissingVotesDoNotBlockFailoverPastTheRoundDeadline) {
  configure({80});
  run_healthy(kStart + 5000);
  const auto last = now_ - 1000;
  const auto probe = first<ProbeRequest>(step(last + 1500, {}));
  ASSERT_TRUE(probe);
  // Only the control plane answers; the standbys' answers never come.
  engine_->on_probe_vote(kPool, {probe->probe_id, 0, false}, now_);
  const auto deadline = last + 1500 + 2 * 1000 + probe->plan.budget_ms() + 250;
  EXPECT_FALSE(first<ApplyDns>(step(deadline - 100, {{kB, kUp}, {kC, kUp}}))) << "the round is still collecting";
  const auto decided = step(deadline, {{kB, kUp}, {kC, kUp}});
  ASSERT_TRUE(first<ApplyDns>(decided)) << "1 of 1 answer says unreachable once the round's deadline passed";
  EXPECT_NE(all<RecordEvent>(decided).back().message.find("(2 did not answer)"), std::string::npos);
}

TEST_F(EngineTest, NoAnswerIsNeverAVoteForDown) {
  configure({80});
  run_healthy(kStart + 5000);
  const auto last = now_ - 1000;
  ASSERT_TRUE(first<ProbeRequest>(step(last + 1500, {})));
  Actions later;
  for (std::int64_t t = last + 1600; t <= last + 20'000; t += 500) {
    auto a = step(t, {{kB, kUp}, {kC, kUp}});
    later.insert(later.end(), a.begin(), a.end());
  }
  EXPECT_FALSE(first<ApplyDns>(later)) << "rounds nobody answered decide nothing";
  EXPECT_GE(all<ProbeRequest>(later).size(), 2u) << "a round without answers is followed by another at once";
  EXPECT_EQ(engine_->status(kPool, now_)->phase, "confirming");
}

// The defect seen with SIGSTOP on the active's agent: after "still reachable" the next round started
// with no votes and the expired vote wait failed over at once. A verdict holds until a complete round
// says otherwise; here three more rounds all say reachable, and nothing moves.
TEST_F(EngineTest, AReachableVerdictHoldsWhileTheNextRoundsCollectVotes) {
  configure({80});
  run_healthy(kStart + 5000);
  const auto last = now_ - 1000;
  Actions all_actions;
  std::int64_t rounds = 0;
  for (std::int64_t t = last + 1500; t <= last + 30'000; t += 100) {
    auto a = step(t, t % 1000 == 0 ? std::vector<std::pair<std::int64_t, HaproxyState>>{{kB, kUp}, {kC, kUp}}
                                    : std::vector<std::pair<std::int64_t, HaproxyState>>{});
    for (const auto& probe : all<ProbeRequest>(a)) {
      ++rounds;
      // Votes come late: the standbys' after about 1.5 s, the control plane's after 0.7 s.
      pending_.push_back({t + 700, probe.probe_id, 0});
      pending_.push_back({t + 1500, probe.probe_id, kB});
      pending_.push_back({t + 1600, probe.probe_id, kC});
    }
    all_actions.insert(all_actions.end(), a.begin(), a.end());
    deliver_votes_until(t, all_actions, true);
  }
  EXPECT_GE(rounds, 4) << "the verdict is re-checked in rounds";
  EXPECT_FALSE(first<ApplyDns>(all_actions));
  EXPECT_TRUE(has_event(all_actions, "lost_contact_reachable"));
  EXPECT_FALSE(has_event(all_actions, "pool_down"));
}

TEST_F(EngineTest, AHeldVerdictGivesWayWhenAWholeRoundSaysUnreachable) {
  configure({80});
  run_healthy(kStart + 5000);
  const auto last = now_ - 1000;
  auto probe = first<ProbeRequest>(step(last + 1500, {}));
  ASSERT_TRUE(probe);
  for (const std::int64_t voter : {std::int64_t{0}, kB, kC}) engine_->on_probe_vote(kPool, {probe->probe_id, voter, true}, now_);
  EXPECT_TRUE(has_event(step(last + 3100, {{kB, kUp}, {kC, kUp}}), "lost_contact_reachable"));
  // The service dies too: the next round says so, and only then does the record move.
  Actions later;
  for (std::int64_t t = last + 3200; t <= last + 12'000 && !first<ApplyDns>(later); t += 100) {
    auto a = step(t, t % 1000 == 0 ? std::vector<std::pair<std::int64_t, HaproxyState>>{{kB, kUp}, {kC, kUp}}
                                    : std::vector<std::pair<std::int64_t, HaproxyState>>{});
    if (const auto next = first<ProbeRequest>(a)) {
      ASSERT_FALSE(first<ApplyDns>(a)) << "a new round alone decides nothing";
      auto voted = engine_->on_probe_vote(kPool, {next->probe_id, 0, false}, now_);
      a.insert(a.end(), voted.begin(), voted.end());
      voted = engine_->on_probe_vote(kPool, {next->probe_id, kB, false}, now_);
      a.insert(a.end(), voted.begin(), voted.end());
    }
    later.insert(later.end(), a.begin(), a.end());
  }
  ASSERT_TRUE(first<ApplyDns>(later));
}

TEST_F(EngineTest, ATiedRoundKeepsTheRecord) {
  configure({80});
  member(kC, "lb-c", "192.0.2.3", "maintenance", 100);  // voters: the control plane and lb-b
  run_healthy(kStart + 5000, {kA, kB});
  const auto last = now_ - 1000;
  const auto probe = first<ProbeRequest>(step(last + 1500, {{kB, kUp}}));
  ASSERT_TRUE(probe);
  ASSERT_EQ(probe->voters, (std::vector<std::int64_t>{kB}));
  engine_->on_probe_vote(kPool, {probe->probe_id, 0, false}, now_);
  engine_->on_probe_vote(kPool, {probe->probe_id, kB, true}, now_);
  const auto judged = step(last + 3100, {{kB, kUp}});
  EXPECT_FALSE(first<ApplyDns>(judged)) << "1 of 2 reachable: a split verdict does not move the record";
  EXPECT_TRUE(has_event(judged, "lost_contact_reachable"));
}

}  // namespace
}  // namespace balctl::failover
