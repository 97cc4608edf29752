#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "common/time.hpp"
#include "server/events/event_log.hpp"
#include "server/events/event_throttle.hpp"
#include "unit/server/store/test_store.hpp"
#include "unit/support/temp_dir.hpp"

namespace balctl::events {
namespace {

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::open_test_store(dir_.path() / "db");
    log_ = std::make_unique<EventLog>(*store_);
  }

  static store::EventRecord event(std::string message, std::int64_t at_ms = 0) {
    return {0, at_ms, kind::kPoolCreated, "web", "", "admin:t", std::move(message)};
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(EventLogTest, RecordWritesAtOnceAndStampsTheTime) {
  const auto before = time::unix_ms_now();
  ASSERT_TRUE(log_->record(event("now")).ok());
  ASSERT_TRUE(log_->record(event("given", 42)).ok());
  const auto stored = *log_->list({0, 10, std::nullopt});
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_GE(stored[0].at_ms, before);
  EXPECT_LE(stored[0].at_ms, time::unix_ms_now());
  EXPECT_EQ(stored[1].at_ms, 42) << "an explicit time is kept";
  EXPECT_EQ(stored[0].kind, "pool_created");
}

// Messages quote agent text: whatever it holds, an event is stored (and shown) as one line.
TEST_F(EventLogTest, ControlBytesInMessagesAreStoredEscaped) {
  std::string seen;
  log_->set_listener([&seen](const store::EventRecord& e) { seen = e.message; });
  ASSERT_TRUE(log_->record(event(std::string("agent 1.0\nlevel=error msg=forged\r\0x", 35))).ok());
  log_->queue(event("HAProxy running\x1b[2J"));
  const auto stored = *log_->list({0, 10, std::nullopt});
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].message, "agent 1.0\\nlevel=error msg=forged\\r\\x00x");
  EXPECT_EQ(seen, "HAProxy running\\x1b[2J") << "the listener (alerts) sees the escaped text too";
  EXPECT_EQ(log_->take_queued().at(0).message, "HAProxy running\\x1b[2J");
}

TEST_F(EventLogTest, QueueWritesNothingUntilTaken) {
  log_->queue(event("a"));
  log_->queue(event("b"));
  EXPECT_TRUE(log_->list({0, 10, std::nullopt})->empty());
  const auto taken = log_->take_queued();
  ASSERT_EQ(taken.size(), 2u);
  EXPECT_EQ(taken[0].message, "a");
  EXPECT_EQ(taken[1].message, "b");
  EXPECT_GT(taken[0].at_ms, 0) << "queued events are stamped when raised, not when written";
  EXPECT_TRUE(log_->take_queued().empty());
}

TEST_F(EventLogTest, RequeuePutsAFailedBatchFirst) {
  log_->queue(event("1"));
  log_->queue(event("2"));
  auto failed = log_->take_queued();
  log_->queue(event("3"));  // raised while the batch was being written
  log_->requeue(std::move(failed));
  const auto retry = log_->take_queued();
  ASSERT_EQ(retry.size(), 3u);
  EXPECT_EQ(retry[0].message, "1");
  EXPECT_EQ(retry[1].message, "2");
  EXPECT_EQ(retry[2].message, "3");
}

TEST_F(EventLogTest, RecordWithStatesWritesBothInOneGo) {
  store::PoolRecord pool;
  pool.name = "web";
  pool.hostname = "web.example.com";
  const auto web = *store_->insert_pool(pool);
  store::MemberRecord member;
  member.pool_id = web.id;
  member.hostname = "lb1";
  member.ipv4 = "192.0.2.1";
  const auto lb1 = *store_->insert_member(member, {"k", 0, "h", 1, 2, std::nullopt});
  std::vector<std::string> heard;
  log_->set_listener([&heard](const store::EventRecord& e) { heard.push_back(e.message); });
  store::MemberStateRecord state;
  state.member_id = lb1.id;
  state.last_seen_ms = 77;
  state.haproxy_state = "stopped";
  state.haproxy_version = "2.8.3";
  ASSERT_TRUE(log_->record_with_states({event("a"), event("b")}, {state}).ok());
  const auto stored = *log_->list({0, 10, std::nullopt});
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_GT(stored[0].at_ms, 0);
  EXPECT_EQ(stored[1].message, "b");
  const auto states = *store_->load_states();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].haproxy_state, "stopped");
  EXPECT_EQ(states[0].haproxy_version, "2.8.3");
  EXPECT_EQ(heard, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(log_->take_queued().empty());
}

TEST(EventThrottle, OncePerPeriodPerKey) {
  EventThrottle throttle(60'000);
  EXPECT_TRUE(throttle.due(1, 1'000));
  EXPECT_FALSE(throttle.due(1, 1'001));
  EXPECT_TRUE(throttle.due(2, 1'001)) << "each key has its own period";
  EXPECT_FALSE(throttle.due(1, 60'999));
  EXPECT_TRUE(throttle.due(1, 61'000));
  EXPECT_FALSE(throttle.due(1, 61'000)) << "the period restarts when an event is let through";
}

}  // namespace
}  // namespace balctl::events
