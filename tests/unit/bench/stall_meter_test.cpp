#include "bench/loadgen/stall_meter.hpp"

#include <chrono>
#include <sched.h>
#include <thread>
#include <unistd.h>

#include <gtest/gtest.h>

namespace balctl::bench {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(StallTally, CountsOnlyWakeUpsLaterThanTheThreshold) {
  StallReport report;
  tally_lateness(report, microseconds(50), milliseconds(2));
  tally_lateness(report, milliseconds(2), milliseconds(2));  // at the threshold: not a stall
  EXPECT_EQ(report.events, 0u);
  EXPECT_EQ(report.stalled_cpu_ms, 0.0);

  tally_lateness(report, microseconds(3500), milliseconds(2));
  tally_lateness(report, milliseconds(12), milliseconds(2));
  tally_lateness(report, microseconds(2500), milliseconds(2));
  EXPECT_EQ(report.events, 3u);
  EXPECT_DOUBLE_EQ(report.max_ms, 12.0);
  EXPECT_DOUBLE_EQ(report.stalled_cpu_ms, 18.0);
}

TEST(StallMeter, RunsOneSleeperPerAllowedCpuForItsWindow) {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  ASSERT_EQ(::sched_getaffinity(0, sizeof mask, &mask), 0);

  StallMeter meter;
  meter.start();
  std::this_thread::sleep_for(milliseconds(200));
  const auto report = meter.stop();

  EXPECT_EQ(report.cpus, static_cast<unsigned>(CPU_COUNT(&mask)));
  // Root may always make a thread SCHED_FIFO; others get the fair-class meter, and the report says so.
  EXPECT_EQ(report.meter, ::geteuid() == 0 ? "fifo" : "fair");
  EXPECT_GE(report.window_s, 0.2);
  EXPECT_LT(report.window_s, 5.0);
  EXPECT_GE(report.stalled_cpu_ms, report.max_ms);
}

}  // namespace
}  // namespace balctl::bench
