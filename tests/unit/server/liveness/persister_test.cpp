// The persister's rounds: offline sweeps after the start-up grace, and one transaction per round for the
// states and the events that go with them.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/time.hpp"
#include "server/events/event_log.hpp"
#include "server/fleet/registry.hpp"
#include "server/liveness/persister.hpp"
#include "server/store/sqlite.hpp"
#include "server/store/store.hpp"
#include "unit/support/temp_dir.hpp"
#include "unit/server/liveness/observations.hpp"
#include "unit/server/store/test_store.hpp"

namespace balctl::liveness {
namespace {

using testing::seen;

class PersisterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::open_test_store(dir_.path() / "db");
    store::PoolRecord pool;
    pool.name = "web";
    pool.hostname = "web.example.com";
    pool.delay_s = 3;
    pool = *store_->insert_pool(pool);
    registry_.put_pool(pool);
    store::MemberRecord member;
    member.pool_id = pool.id;
    member.hostname = "lb1";
    member.ipv4 = "192.0.2.1";
    member = *store_->insert_member(member, {"k", 0, "h", 1, 2, std::nullopt});
    registry_.put_member(member);
    member_id_ = member.id;
  }

  std::vector<store::EventRecord> events_of(const std::string& kind) {
    std::vector<store::EventRecord> out;
    auto listed = store_->list_events({0, 100, std::nullopt});  // range-for over *temporary would dangle
    for (auto& event : *listed) {
      if (event.kind == kind) out.push_back(std::move(event));
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  fleet::Registry registry_;
  LivenessTable table_;
  std::int64_t member_id_ = 0;
};

TEST_F(PersisterTest, GivesMembersOneDelayAfterStartThenMarksThemOffline) {
  events::EventLog events(*store_);
  Persister persister(*store_, table_, registry_, events, std::chrono::milliseconds(1000), 100'000);
  table_.record(seen(member_id_, 90'000));  // seen before the server (re)started
  ASSERT_TRUE(persister.run_once(102'000).ok());
  EXPECT_TRUE(table_.get(member_id_)->online) << "within the start-up grace nobody is judged";
  ASSERT_TRUE(persister.run_once(103'500).ok());
  EXPECT_FALSE(table_.get(member_id_)->online);
  const auto logged = events_of("member_offline");
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_EQ(logged[0].member, "lb1");
  const auto states = *store_->load_states();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_FALSE(states[0].online);
}

TEST_F(PersisterTest, WritesStateAndQueuedEventsTogether) {
  events::EventLog events(*store_);
  Persister persister(*store_, table_, registry_, events, std::chrono::milliseconds(1000), 0);
  table_.record(seen(member_id_, 1000));
  events.queue({0, 0, "failover", "web", "lb1", "system", "queued by someone else"});
  ASSERT_TRUE(persister.run_once(1500).ok());
  EXPECT_EQ(store_->load_states()->size(), 1u);
  EXPECT_EQ(events_of("failover").size(), 1u);
  EXPECT_EQ(events_of("member_online").size(), 1u) << "the first heartbeat, with the state it made";
  EXPECT_TRUE(events.take_queued().empty());
}

TEST_F(PersisterTest, GraceEndsExactlyOneDelayAfterStart) {
  events::EventLog events(*store_);
  Persister persister(*store_, table_, registry_, events, std::chrono::milliseconds(1000), 100'000);
  table_.record(seen(member_id_, 50'000));
  ASSERT_TRUE(persister.run_once(102'999).ok());
  EXPECT_TRUE(table_.get(member_id_)->online);
  ASSERT_TRUE(persister.run_once(103'000).ok());
  EXPECT_FALSE(table_.get(member_id_)->online);
  const auto queued_and_written = events_of("member_offline");
  ASSERT_EQ(queued_and_written.size(), 1u);
  EXPECT_EQ(queued_and_written[0].pool, "web");
  EXPECT_EQ(queued_and_written[0].actor, "system");
  EXPECT_NE(queued_and_written[0].message.find("no heartbeat for 53 s (pool delay 3 s)"), std::string::npos)
      << queued_and_written[0].message;
  // The next round finds nothing new to say.
  ASSERT_TRUE(persister.run_once(110'000).ok());
  EXPECT_EQ(store_->list_events({0, 10, std::nullopt})->size(), 2u) << "member_online, member_offline";
}

TEST_F(PersisterTest, MemberOnlineIsWrittenWithItsStateOrNotAtAll) {
  events::EventLog events(*store_);
  Persister persister(*store_, table_, registry_, events, std::chrono::milliseconds(1000), 0);
  table_.record(seen(member_id_, 1000));
  auto other = store::Database::open(dir_.path() / "db");
  ASSERT_TRUE(other->exec("CREATE TRIGGER refuse_events BEFORE INSERT ON events "
                          "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
                  .ok());
  EXPECT_FALSE(persister.run_once(1500).ok());
  EXPECT_TRUE(store_->load_states()->empty()) << "one transaction: the state did not go without its event";
  ASSERT_TRUE(other->exec("DROP TRIGGER refuse_events").ok());
  ASSERT_TRUE(persister.run_once(2500).ok());
  const auto online = events_of("member_online");
  ASSERT_EQ(online.size(), 1u) << "retried once, not lost and not doubled";
  EXPECT_EQ(online[0].at_ms, 1'700'000'001'000) << "stamped with the heartbeat, not the write";
  EXPECT_NE(online[0].message.find("first heartbeat (agent 0.1.0, HAProxy running)"), std::string::npos)
      << online[0].message;
  EXPECT_TRUE(store_->load_states()->at(0).online);
}

TEST_F(PersisterTest, AComebackIsAnnouncedByTheBatchThatStoresIt) {
  events::EventLog events(*store_);
  Persister persister(*store_, table_, registry_, events, std::chrono::milliseconds(1000), 0);
  table_.record(seen(member_id_, 1000));
  ASSERT_TRUE(persister.run_once(1500).ok());
  ASSERT_TRUE(persister.run_once(10'000).ok());  // silent for 9 s, delay 3 s
  ASSERT_FALSE(store_->load_states()->at(0).online);
  table_.record(seen(member_id_, 12'000));
  ASSERT_TRUE(persister.run_once(12'500).ok());
  const auto online = events_of("member_online");
  ASSERT_EQ(online.size(), 2u);
  EXPECT_NE(online[1].message.find("heartbeats resumed after 11 s of silence"), std::string::npos)
      << online[1].message;
  EXPECT_TRUE(store_->load_states()->at(0).online);
  table_.record(seen(member_id_, 13'000));
  ASSERT_TRUE(persister.run_once(13'500).ok());
  EXPECT_EQ(events_of("member_online").size(), 2u) << "an ordinary heartbeat announces nothing";
}

TEST_F(PersisterTest, MembersUnknownToTheRegistryAreNotJudged) {
  events::EventLog events(*store_);
  Persister persister(*store_, table_, registry_, events, std::chrono::milliseconds(1000), 0);
  table_.record(seen(member_id_, 1000));
  registry_.remove_member(member_id_);
  ASSERT_TRUE(persister.run_once(60'000).ok());
  EXPECT_TRUE(table_.get(member_id_)->online);
  EXPECT_TRUE(store_->list_events({0, 10, std::nullopt})->empty());
}

TEST_F(PersisterTest, NothingDirtyWritesNothing) {
  events::EventLog events(*store_);
  Persister persister(*store_, table_, registry_, events, std::chrono::milliseconds(1000), 0);
  ASSERT_TRUE(persister.run_once(1000).ok());
  EXPECT_TRUE(store_->load_states()->empty());
  table_.record(seen(member_id_, 1000));
  ASSERT_TRUE(persister.run_once(1100).ok());
  ASSERT_EQ(store_->load_states()->size(), 1u);
  EXPECT_TRUE(table_.take_dirty().empty()) << "the round took the dirty entries";
}

TEST_F(PersisterTest, StopWritesWhatIsLeft) {
  events::EventLog events(*store_);
  Persister persister(*store_, table_, registry_, events, std::chrono::hours(1), time::steady_ms_now());
  persister.start();
  table_.record(seen(member_id_, time::steady_ms_now()));
  events.queue({0, 0, "failover", "web", "lb1", "system", "queued"});
  const auto before = time::steady_ms_now();
  persister.stop();
  EXPECT_LT(time::steady_ms_now() - before, 2000) << "stop does not wait for the interval";
  ASSERT_EQ(store_->load_states()->size(), 1u);
  EXPECT_TRUE(store_->load_states()->at(0).online);
  EXPECT_EQ(events_of("failover").size(), 1u);
  EXPECT_EQ(events_of("member_online").size(), 1u);
  persister.stop();  // idempotent
}

}  // namespace
}  // namespace balctl::liveness
