// The member view's HAProxy object: a running HAProxy whose stats socket gives nothing is shown
// degraded with the reason, never as a plain "running" with an empty table.
#include "server/api/views.hpp"

#include <gtest/gtest.h>

namespace balctl::api {
namespace {

using protocol::HaproxyState;

TEST(HaproxyView, RunningWithStatsIsOk) {
  const auto view = haproxy_json(HaproxyState::running, "2.6.12", "");
  EXPECT_EQ(view.at("state").as_string(), "running");
  EXPECT_EQ(view.at("version").as_string(), "2.6.12");
  EXPECT_EQ(view.at("stats").as_string(), "ok");
  EXPECT_EQ(view.at("display").as_string(), "running");
}

TEST(HaproxyView, RunningWithoutStatsIsDegradedWithTheReason) {
  const auto view = haproxy_json(HaproxyState::running, "", "stats socket /run/x.sock: permission denied");
  EXPECT_EQ(view.at("state").as_string(), "running");  // still running: failover decisions are unchanged
  EXPECT_EQ(view.at("stats").as_string(), "unavailable");
  EXPECT_EQ(view.at("stats_error").as_string(), "stats socket /run/x.sock: permission denied");
  EXPECT_EQ(view.at("display").as_string(),
            "running, stats unavailable: stats socket /run/x.sock: permission denied");
}

TEST(HaproxyView, StoppedOrUnknownHasNoStatsVerdict) {
  const auto stopped = haproxy_json(HaproxyState::stopped, "", "left over");
  EXPECT_TRUE(stopped.at("stats").is_null());
  EXPECT_EQ(stopped.at("display").as_string(), "stopped");
  EXPECT_EQ(haproxy_json(HaproxyState::unknown, "", "").at("display").as_string(), "unknown");
}

}  // namespace
}  // namespace balctl::api
