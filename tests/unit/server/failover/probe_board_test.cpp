// The probe tasks handed to standbys carry the pool's whole ProbePlan (attempts, spacing, timeout), so
// agents race the same connects the control plane does.
#include "server/failover/probe_board.hpp"

#include <gtest/gtest.h>

#include "server/failover/probe_plan.hpp"

namespace balctl::failover {
namespace {

TEST(ProbeBoard, TasksCarryThePlanFromTheRequest) {
  ProbeBoard board;
  ProbeRequest request;
  request.pool_id = 3;
  request.probe_id = 41;
  request.target_ipv4 = "127.0.0.7";
  request.ports = {80, 443};
  request.voters = {10, 11};
  request.plan = probe_plan_for(5000);
  board.assign(request, 1000);
  const auto tasks = board.take(10, 1500);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].id, 41);
  EXPECT_EQ(tasks[0].target, "127.0.0.7");
  EXPECT_EQ(tasks[0].ports, (std::vector<int>{80, 443}));
  EXPECT_EQ(tasks[0].timeout_ms, 1000);  // delay 5 s / 5
  EXPECT_EQ(tasks[0].attempts, 4);
  EXPECT_EQ(tasks[0].spacing_ms, 200);
  EXPECT_TRUE(board.take(10, 1500).empty());  // handed out once
  EXPECT_EQ(board.take(11, 1500).size(), 1u);
  EXPECT_EQ(board.pool_of(41), 3);
}

TEST(ProbePlan, TimeoutFollowsTheDelayWithinItsClamp) {
  EXPECT_EQ(probe_plan_for(3000).attempt_timeout_ms, 600);
  EXPECT_EQ(probe_plan_for(1000).attempt_timeout_ms, 500);
  EXPECT_EQ(probe_plan_for(120'000).attempt_timeout_ms, 2000);
  EXPECT_EQ(probe_plan_for(5000).budget_ms(), 3 * 200 + 1000);
}

}  // namespace
}  // namespace balctl::failover
