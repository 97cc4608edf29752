// take_dirty builds its records a chunk at a time while heartbeats keep arriving: every member must be
// taken once per change, in member order, and nothing recorded meanwhile may be lost.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "server/liveness/liveness_table.hpp"

namespace balctl::liveness {
namespace {

Observation seen(std::int64_t member, std::int64_t seq) {
  Observation o;
  o.member_id = member;
  o.seq = seq;
  o.agent_version = "0.1.0";
  o.haproxy = protocol::HaproxyState::running;
  o.source_ip = "127.0.0.1";
  o.steady_ms = 1000 + seq;
  o.wall_ms = 1'700'000'000'000 + seq;
  return o;
}

TEST(LivenessDirty, ManyChunksAreTakenOnceEachInMemberOrder) {
  LivenessTable table;
  for (std::int64_t id = 2000; id >= 1; --id) table.record(seen(id, 1));
  table.record(seen(7, 2));  // recorded twice before the take: still one record, the newest
  const auto dirty = table.take_dirty();
  ASSERT_EQ(dirty.size(), 2000u);
  for (std::size_t i = 0; i < dirty.size(); ++i) EXPECT_EQ(dirty[i].member_id, static_cast<std::int64_t>(i + 1));
  EXPECT_EQ(dirty[6].seq, 2);
  EXPECT_TRUE(table.take_dirty().empty());
  table.record(seen(5, 3));
  const auto again = table.take_dirty();
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].seq, 3);
}

TEST(LivenessDirty, AMemberRemovedAndAddedAgainIsTakenOnce) {
  LivenessTable table;
  table.record(seen(1, 1));
  table.remove(1);
  table.record(seen(1, 2));
  const auto dirty = table.take_dirty();
  ASSERT_EQ(dirty.size(), 1u);
  EXPECT_EQ(dirty[0].seq, 2);
  table.remove(1);
  EXPECT_TRUE(table.take_dirty().empty()) << "a removed member has nothing to persist";
}

TEST(LivenessDirty, HeartbeatsDuringTakesAreNeverLost) {
  constexpr std::int64_t kMembers = 600;  // a few chunks
  constexpr std::int64_t kRounds = 200;
  LivenessTable table;
  std::atomic<bool> done{false};
  std::thread heartbeats([&] {
    for (std::int64_t seq = 1; seq <= kRounds; ++seq) {
      for (std::int64_t id = 1; id <= kMembers; ++id) table.record(seen(id, seq));
    }
    done = true;
  });
  std::map<std::int64_t, std::int64_t> persisted_seq;
  const auto persist = [&] {
    for (const auto& record : table.take_dirty()) {
      auto& seq = persisted_seq[record.member_id];
      EXPECT_GT(record.seq, seq) << "member " << record.member_id << " taken without a new heartbeat";
      seq = record.seq;
    }
  };
  while (!done) persist();
  heartbeats.join();
  persist();  // what the last round left
  ASSERT_EQ(persisted_seq.size(), static_cast<std::size_t>(kMembers));
  for (const auto& [id, seq] : persisted_seq) EXPECT_EQ(seq, kRounds) << "member " << id;
}

}  // namespace
}  // namespace balctl::liveness
