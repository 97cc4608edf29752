#include "common/cpu_affinity.hpp"

#include <sched.h>

#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

namespace balctl::cpu {
namespace {

TEST(SpreadOver, OneCpuPerThreadWhileThereAreEnough) {
  EXPECT_EQ(spread_over({0, 1}, 2), (std::vector<int>{0, 1}));
  EXPECT_EQ(spread_over({2, 5, 7}, 2), (std::vector<int>{2, 5}));
  EXPECT_EQ(spread_over({0, 1, 2, 3}, 1), (std::vector<int>{0}));
}

TEST(SpreadOver, MoreThreadsThanCpusWrapAround) {
  EXPECT_EQ(spread_over({0, 1}, 5), (std::vector<int>{0, 1, 0, 1, 0}));
  EXPECT_EQ(spread_over({3}, 3), (std::vector<int>{3, 3, 3}));
}

TEST(SpreadOver, NothingToSpread) {
  EXPECT_TRUE(spread_over({}, 4).empty());
  EXPECT_TRUE(spread_over({0, 1}, 0).empty());
}

TEST(AllowedCpus, IsThisProcessMaskInOrder) {
  auto cpus = allowed_cpus();
  ASSERT_TRUE(cpus) << cpus.error().message;
  ASSERT_FALSE(cpus->empty());
  EXPECT_TRUE(std::is_sorted(cpus->begin(), cpus->end()));
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_EQ(static_cast<int>(cpus->size()), CPU_COUNT(&set));
}

// On a thread of its own: pinning the test's main thread would narrow every later test.
TEST(PinCurrentThread, RestrictsTheCallingThreadOnly) {
  auto cpus = allowed_cpus();
  ASSERT_TRUE(cpus);
  const int target = cpus->back();
  bool pinned = false;
  int count_after = 0;
  bool on_target = false;
  std::thread([&] {
    pinned = static_cast<bool>(pin_current_thread(target));
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    count_after = CPU_COUNT(&set);
    on_target = CPU_ISSET(target, &set);
  }).join();
  EXPECT_TRUE(pinned);
  EXPECT_EQ(count_after, 1);
  EXPECT_TRUE(on_target);
  auto unchanged = allowed_cpus();
  ASSERT_TRUE(unchanged);
  EXPECT_EQ(*unchanged, *cpus);
}

TEST(PinCurrentThread, RefusesCpusThatCannotExist) {
  auto negative = pin_current_thread(-1);
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().field, "cpu-affinity");
  EXPECT_FALSE(pin_current_thread(CPU_SETSIZE));
}

TEST(CpuList, CommaSeparated) {
  EXPECT_EQ(cpu_list({0, 1, 3}), "0,1,3");
  EXPECT_EQ(cpu_list({}), "");
}

}  // namespace
}  // namespace balctl::cpu
