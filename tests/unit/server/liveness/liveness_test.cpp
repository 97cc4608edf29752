#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/liveness/liveness_table.hpp"
#include "unit/server/liveness/observations.hpp"

namespace balctl::liveness {
namespace {

using testing::seen;

const auto kDelay = [](std::int64_t) -> std::optional<std::int64_t> { return 3000; };

TEST(StatusOf, BoundariesAreInclusive) {
  Entry entry;
  EXPECT_EQ(status_of(entry, 10'000, 3000), MemberStatus::never_seen);
  entry.last_seen_wall_ms = 1;
  entry.last_seen_steady_ms = 7000;
  EXPECT_EQ(status_of(entry, 10'000, 3000), MemberStatus::online);
  EXPECT_EQ(status_of(entry, 10'001, 3000), MemberStatus::offline);
}

TEST(LivenessTable, TransitionsOfAHeartbeat) {
  LivenessTable table(10'000);
  auto t = table.record(seen(1, 1000));
  EXPECT_TRUE(t.first_heartbeat);
  EXPECT_TRUE(t.report_due);
  EXPECT_FALSE(t.came_back);
  t = table.record(seen(1, 2000));
  EXPECT_FALSE(t.first_heartbeat);
  EXPECT_FALSE(t.report_due);
  EXPECT_FALSE(t.haproxy_changed);
  EXPECT_EQ(t.silent_for_ms, 1000);
  t = table.record(seen(1, 2100, protocol::HaproxyState::stopped));
  EXPECT_TRUE(t.haproxy_changed);
  EXPECT_EQ(t.previous_haproxy, protocol::HaproxyState::running);
  EXPECT_TRUE(t.report_due);  // a state change is persisted at once
  const auto period = table.report_period_ms(1);
  t = table.record(seen(1, 2100 + period - 1, protocol::HaproxyState::stopped));
  EXPECT_FALSE(t.report_due);
  t = table.record(seen(1, 2100 + period, protocol::HaproxyState::stopped));
  EXPECT_TRUE(t.report_due);  // the member's period since the last persisted report
}

TEST(LivenessTable, SweepReportsEachMemberOnceAndComebackIsSeen) {
  LivenessTable table;
  table.record(seen(1, 1000));
  table.record(seen(2, 3500));
  auto went = table.sweep(5000, kDelay);
  ASSERT_EQ(went.size(), 1u);
  EXPECT_EQ(went[0].member_id, 1);
  EXPECT_EQ(went[0].silent_for_ms, 4000);
  EXPECT_TRUE(table.sweep(5100, kDelay).empty());
  const auto t = table.record(seen(1, 6000));
  EXPECT_TRUE(t.came_back);
  EXPECT_EQ(t.silent_for_ms, 5000);
}

TEST(LivenessTable, SweepSkipsMembersWithoutADelay) {
  LivenessTable table;
  table.record(seen(1, 1000));
  EXPECT_TRUE(
      table.sweep(100'000, [](std::int64_t) -> std::optional<std::int64_t> { return std::nullopt; }).empty());
}

TEST(LivenessTable, DirtyEntriesAreTakenOnceAndCanBeRequeued) {
  LivenessTable table;
  table.record(seen(1, 1000));
  table.attach_report(1, "{\"report\":1}");
  auto dirty = table.take_dirty();
  ASSERT_EQ(dirty.size(), 1u);
  EXPECT_EQ(dirty[0].report_json, std::optional<std::string>("{\"report\":1}"));
  EXPECT_EQ(dirty[0].haproxy_state, "running");
  EXPECT_TRUE(dirty[0].online);
  EXPECT_TRUE(table.take_dirty().empty());
  EXPECT_FALSE(table.get(1)->pending_report.has_value());
  table.mark_dirty(dirty);
  auto again = table.take_dirty();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].report_json, std::optional<std::string>("{\"report\":1}"));
}

TEST(LivenessTable, ComingOnlineIsAnnouncedOnceToWhoeverTakesItFirst) {
  LivenessTable table;
  table.record(seen(1, 1000));
  table.record(seen(1, 2000, protocol::HaproxyState::stopped));
  EXPECT_EQ(table.take_dirty().size(), 1u) << "without a list the announcement stays pending";
  const auto came = table.take_came_online(1);
  ASSERT_TRUE(came);
  EXPECT_TRUE(came->first);
  EXPECT_EQ(came->wall_ms, 1'700'000'001'000) << "the heartbeat that came online, not a later one";
  EXPECT_EQ(came->haproxy, protocol::HaproxyState::running);
  EXPECT_EQ(came->agent_version, "0.1.0");
  EXPECT_FALSE(table.take_came_online(1));
  table.record(seen(1, 3000));
  std::vector<CameOnline> taken;
  table.take_dirty(&taken);
  EXPECT_TRUE(taken.empty()) << "an ordinary heartbeat announces nothing";
  ASSERT_EQ(table.sweep(10'000, kDelay).size(), 1u);
  table.record(seen(1, 12'000));
  table.take_dirty(&taken);
  ASSERT_EQ(taken.size(), 1u);
  EXPECT_FALSE(taken[0].first);
  EXPECT_EQ(taken[0].silent_for_ms, 9000);
  EXPECT_FALSE(table.take_came_online(1)) << "taken with the state";
  EXPECT_FALSE(table.take_came_online(99));
}

TEST(LivenessTable, RestoreComputesAgeFromTheWallClock) {
  LivenessTable table;
  store::MemberStateRecord record;
  record.member_id = 4;
  record.last_seen_ms = 1'000'000;
  record.haproxy_state = "stopped";
  record.haproxy_version = "2.6.12";
  record.online = true;
  table.restore(record, 50'000, 1'002'500);
  const auto entry = table.get(4);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->last_seen_steady_ms, 47'500);
  EXPECT_EQ(entry->haproxy, protocol::HaproxyState::stopped);
  EXPECT_EQ(entry->haproxy_version, "2.6.12") << "shown again before the next heartbeat";
  EXPECT_TRUE(entry->online);
  EXPECT_EQ(status_of(*entry, 50'000, 3000), MemberStatus::online);
  EXPECT_EQ(status_of(*entry, 50'600, 3000), MemberStatus::offline);
}

TEST(StatusOf, NeverSeenDependsOnTheWallClockStamp) {
  Entry entry;
  entry.last_seen_steady_ms = 10'000;  // a steady time alone does not mean "seen"
  EXPECT_EQ(status_of(entry, 10'000, 3000), MemberStatus::never_seen);
  entry.last_seen_wall_ms = 5;
  EXPECT_EQ(status_of(entry, 13'000, 3000), MemberStatus::online);
  EXPECT_EQ(status_of(entry, 13'001, 3000), MemberStatus::offline);
  EXPECT_EQ(to_string(MemberStatus::never_seen), "never_seen");
  EXPECT_EQ(to_string(MemberStatus::online), "online");
  EXPECT_EQ(to_string(MemberStatus::offline), "offline");
}

TEST(LivenessTable, RecordKeepsTheLatestObservation) {
  LivenessTable table;
  Observation o = seen(3, 1000);
  o.haproxy_version = "2.6.12";
  o.host.cpu_pct = 12.5;
  table.record(o);
  o = seen(3, 2000, protocol::HaproxyState::absent);
  o.agent_version = "0.2.0";
  o.source_ip = "10.0.0.9";
  o.seq = 77;
  table.record(o);
  const auto entry = table.get(3);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->seq, 77);
  EXPECT_EQ(entry->agent_version, "0.2.0");
  EXPECT_EQ(entry->source_ip, "10.0.0.9");
  EXPECT_EQ(entry->haproxy, protocol::HaproxyState::absent);
  EXPECT_EQ(entry->last_seen_steady_ms, 2000);
  EXPECT_EQ(entry->last_seen_wall_ms, 1'700'000'002'000);
  EXPECT_FALSE(entry->host.cpu_pct.has_value()) << "host figures are replaced, not merged";
  EXPECT_TRUE(entry->online);
  EXPECT_TRUE(entry->dirty);
  EXPECT_FALSE(table.get(4).has_value());
  EXPECT_EQ(table.size(), 1u);
}

TEST(LivenessTable, ReportPeriodsSpreadBetweenHalfAndTheWholeInterval) {
  LivenessTable table(60'000);
  std::set<std::int64_t> periods;
  for (std::int64_t member = 1; member <= 1000; ++member) {
    const auto period = table.report_period_ms(member);
    EXPECT_GE(period, 30'000);
    EXPECT_LE(period, 60'000);
    periods.insert(period / 1000);
  }
  // 1000 members spread over the 31 whole seconds of [30 s, 60 s], not bunched in a few.
  EXPECT_GE(periods.size(), 25u);
  EXPECT_EQ(table.report_period_ms(7), table.report_period_ms(7)) << "a member keeps its period";
}

TEST(LivenessTable, RestoredReportIsRefreshedOnePeriodAfterTheRestart) {
  LivenessTable table(60'000);
  store::MemberStateRecord record;
  record.member_id = 3;
  record.last_seen_ms = 1'000'000;  // wall clock: silent for 10 minutes before the restart
  record.haproxy_state = "running";
  table.restore(record, 5'000, 1'600'000);
  const auto period = table.report_period_ms(3);
  EXPECT_FALSE(table.record(seen(3, 5'000 + period - 1)).report_due) << "not all due at once after a restart";
  EXPECT_TRUE(table.record(seen(3, 5'000 + period)).report_due);
}

TEST(LivenessTable, ReportDueExactlyAtTheInterval) {
  LivenessTable table(5000);
  const auto period = table.report_period_ms(1);
  EXPECT_TRUE(table.record(seen(1, 1000)).report_due);
  EXPECT_FALSE(table.record(seen(1, 1000 + period - 1)).report_due);
  EXPECT_TRUE(table.record(seen(1, 1000 + period)).report_due);
  EXPECT_FALSE(table.record(seen(1, 1001 + period)).report_due) << "the interval restarts from the last report";
  // A HAProxy change makes the report due at once and restarts the interval.
  const auto changed = 2000 + period;
  EXPECT_TRUE(table.record(seen(1, changed, protocol::HaproxyState::stopped)).report_due);
  EXPECT_FALSE(table.record(seen(1, changed + period - 1, protocol::HaproxyState::stopped)).report_due);
  EXPECT_TRUE(table.record(seen(1, changed + period, protocol::HaproxyState::stopped)).report_due);
}

TEST(LivenessTable, FirstHeartbeatIsNotAHaproxyChange) {
  LivenessTable table;
  const auto t = table.record(seen(1, 1000, protocol::HaproxyState::stopped));
  EXPECT_TRUE(t.first_heartbeat);
  EXPECT_FALSE(t.haproxy_changed);
  EXPECT_FALSE(t.came_back);
  EXPECT_EQ(t.silent_for_ms, 0);
}

TEST(LivenessTable, SweepUsesEachMembersOwnDelay) {
  LivenessTable table;
  table.record(seen(1, 1000));
  table.record(seen(2, 1000));
  const auto delays = [](std::int64_t member) -> std::optional<std::int64_t> {
    return member == 1 ? 3000 : 10'000;
  };
  EXPECT_TRUE(table.sweep(4000, delays).empty()) << "exactly the delay is still online";
  auto went = table.sweep(4001, delays);
  ASSERT_EQ(went.size(), 1u);
  EXPECT_EQ(went[0].member_id, 1);
  EXPECT_EQ(went[0].silent_for_ms, 3001);
  went = table.sweep(11'001, delays);
  ASSERT_EQ(went.size(), 1u);
  EXPECT_EQ(went[0].member_id, 2);
  EXPECT_FALSE(table.get(1)->online);
  EXPECT_FALSE(table.get(2)->online);
}

TEST(LivenessTable, SweepMarksDirtySoTheOfflineFlagIsPersisted) {
  LivenessTable table;
  table.record(seen(1, 1000));
  ASSERT_EQ(table.take_dirty().size(), 1u);
  ASSERT_EQ(table.sweep(10'000, kDelay).size(), 1u);
  const auto dirty = table.take_dirty();
  ASSERT_EQ(dirty.size(), 1u);
  EXPECT_FALSE(dirty[0].online);
  EXPECT_EQ(dirty[0].last_seen_ms, 1'700'000'001'000) << "going offline does not move last_seen";
  EXPECT_FALSE(dirty[0].report_json.has_value());
}

TEST(LivenessTable, TakeDirtyCarriesTheWholeState) {
  LivenessTable table;
  Observation o = seen(8, 4000, protocol::HaproxyState::absent);
  o.seq = 5;
  o.agent_version = "0.3";
  o.source_ip = "10.1.1.1";
  o.haproxy_version = "2.9.1";
  table.record(o);
  table.attach_report(8, "{}");
  const auto dirty = table.take_dirty();
  ASSERT_EQ(dirty.size(), 1u);
  EXPECT_EQ(dirty[0].member_id, 8);
  EXPECT_EQ(dirty[0].seq, 5);
  EXPECT_EQ(dirty[0].agent_version, "0.3");
  EXPECT_EQ(dirty[0].haproxy_state, "absent");
  EXPECT_EQ(dirty[0].haproxy_version, "2.9.1");
  EXPECT_EQ(dirty[0].source_ip, "10.1.1.1");
  EXPECT_EQ(dirty[0].last_seen_ms, 1'700'000'004'000);
  EXPECT_EQ(dirty[0].report_ms, 1'700'000'004'000);
  EXPECT_FALSE(table.get(8)->dirty);
}

TEST(LivenessTable, StateOfLeavesTheEntryDirtyAndItsReportPending) {
  LivenessTable table;
  EXPECT_FALSE(table.state_of(3).has_value());
  Observation o = seen(3, 2000, protocol::HaproxyState::stopped);
  o.haproxy_version = "2.6.12";
  table.record(o);
  table.attach_report(3, "{\"r\":1}");
  const auto state = table.state_of(3);
  ASSERT_TRUE(state);
  EXPECT_EQ(state->seq, 2000);
  EXPECT_EQ(state->haproxy_state, "stopped");
  EXPECT_EQ(state->haproxy_version, "2.6.12");
  EXPECT_TRUE(state->online);
  EXPECT_FALSE(state->report_json.has_value()) << "the report is left to the batch";
  const auto dirty = table.take_dirty();
  ASSERT_EQ(dirty.size(), 1u) << "the batch still writes it";
  EXPECT_EQ(dirty[0].report_json, std::optional<std::string>("{\"r\":1}"));
}

TEST(LivenessTable, MarkDirtyKeepsANewerReportAndIgnoresRemovedMembers) {
  LivenessTable table;
  table.record(seen(1, 1000));
  table.attach_report(1, "old");
  table.record(seen(2, 1000));
  const auto failed_batch = table.take_dirty();
  ASSERT_EQ(failed_batch.size(), 2u);
  table.attach_report(1, "new");  // arrived while the batch was being written
  table.remove(2);
  table.mark_dirty(failed_batch);
  const auto retry = table.take_dirty();
  ASSERT_EQ(retry.size(), 1u);
  EXPECT_EQ(retry[0].member_id, 1);
  EXPECT_EQ(retry[0].report_json, std::optional<std::string>("new"));
}

TEST(LivenessTable, AttachReportToAnUnknownMemberIsIgnored) {
  LivenessTable table;
  table.attach_report(5, "{}");
  EXPECT_EQ(table.size(), 0u);
  EXPECT_TRUE(table.take_dirty().empty());
}

TEST(LivenessTable, RestoredOfflineMemberComesBackOnItsNextHeartbeat) {
  LivenessTable table;
  store::MemberStateRecord record;
  record.member_id = 2;
  record.last_seen_ms = 1'000'000;
  record.seq = 41;
  record.agent_version = "0.1";
  record.haproxy_state = "running";
  record.source_ip = "10.0.0.1";
  record.online = false;
  table.restore(record, 10'000, 1'060'000);
  const auto entry = table.get(2);
  ASSERT_TRUE(entry);
  EXPECT_FALSE(entry->online);
  EXPECT_FALSE(entry->dirty) << "restoring is not a change to persist";
  EXPECT_EQ(entry->seq, 41);
  EXPECT_EQ(entry->source_ip, "10.0.0.1");
  EXPECT_EQ(entry->last_seen_steady_ms, 10'000 - 60'000);
  EXPECT_TRUE(table.sweep(10'000, kDelay).empty()) << "already offline: not reported again";
  const auto t = table.record(seen(2, 11'000));
  EXPECT_FALSE(t.first_heartbeat);
  EXPECT_TRUE(t.came_back);
  EXPECT_EQ(t.silent_for_ms, 61'000);
  EXPECT_FALSE(t.haproxy_changed);
}

TEST(LivenessTable, RestoreWithTheWallClockBehindTreatsAgeAsZero) {
  LivenessTable table;
  store::MemberStateRecord record;
  record.member_id = 1;
  record.last_seen_ms = 2'000'000;
  record.haproxy_state = "garbage";
  record.online = true;
  table.restore(record, 500, 1'000'000);  // the clock was set back
  EXPECT_EQ(table.get(1)->last_seen_steady_ms, 500);
  EXPECT_EQ(table.get(1)->haproxy, protocol::HaproxyState::unknown);
  // A restored online member that has gone silent is reported by the next sweep.
  const auto went = table.sweep(4000, kDelay);
  ASSERT_EQ(went.size(), 1u);
  EXPECT_EQ(went[0].silent_for_ms, 3500);
}
}  // namespace
}  // namespace balctl::liveness
