#include <gtest/gtest.h>

#include "agent/collectors/haproxy_parsers.hpp"
#include "agent/collectors/haproxy_state.hpp"
#include "unit/agent/fixtures.hpp"

namespace balctl::agent::collectors {
namespace {

using testing::fixture;

TEST(ShowStat, ParsesRealHaproxyOutput) {
  const auto rows = parse_show_stat(fixture("haproxy_show_stat.csv"));
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 6u);
  const auto& frontend = rows->at(0);
  EXPECT_EQ(frontend.proxy, "fe_http");
  EXPECT_EQ(frontend.service, "FRONTEND");
  EXPECT_EQ(frontend.type, "frontend");
  EXPECT_EQ(frontend.status, "OPEN");
  const auto& server = rows->at(1);
  EXPECT_EQ(server.proxy, "be_app");
  EXPECT_EQ(server.service, "app1");
  EXPECT_EQ(server.type, "server");
  EXPECT_EQ(server.status, "DOWN");
  EXPECT_EQ(server.check_status, "L4CON");
  EXPECT_EQ(rows->at(3).type, "backend");
}

TEST(ShowStat, MapsColumnsByHeaderName) {
  const auto rows = parse_show_stat(
      "# svname,status,pxname,extra,scur,check_status,type,bin,bout,rate\n"
      "web1,UP,be,zzz,7,L7OK,2,100,200,3\n");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->at(0).proxy, "be");
  EXPECT_EQ(rows->at(0).service, "web1");
  EXPECT_EQ(rows->at(0).current_sessions, 7);
  EXPECT_EQ(rows->at(0).session_rate, 3);
  EXPECT_EQ(rows->at(0).bytes_out, 200);
  EXPECT_EQ(rows->at(0).check_status, "L7OK");
}

TEST(ShowStat, SkipsTruncatedLinesAndSurvivesGarbage) {
  const auto rows = parse_show_stat(fixture("haproxy_show_stat_truncated.csv"));
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 2u);  // the cut-off third row is dropped
  EXPECT_FALSE(parse_show_stat(fixture("haproxy_garbage.txt")).ok());
  EXPECT_FALSE(parse_show_stat("").ok());
  EXPECT_FALSE(parse_show_stat("# a,b,c\n1,2,3\n").ok());  // header without pxname/svname
  const auto odd = parse_show_stat("# pxname,svname,scur\np,s,notanumber\n,,\np2,s2,-4\n");
  ASSERT_TRUE(odd.ok());
  ASSERT_EQ(odd->size(), 2u);
  EXPECT_EQ(odd->at(0).current_sessions, 0);
  EXPECT_EQ(odd->at(1).current_sessions, 0);
}

TEST(ShowStat, CapsTheRowCount) {
  std::string csv = "# pxname,svname\n";
  for (std::size_t i = 0; i < protocol::kMaxHaproxyRows + 10; ++i) csv += "p,s" + std::to_string(i) + "\n";
  EXPECT_EQ(parse_show_stat(csv)->size(), protocol::kMaxHaproxyRows);
}

TEST(ShowInfo, ParsesRealOutput) {
  const auto info = parse_show_info(fixture("haproxy_show_info.txt"));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->version.rfind("2.6", 0), 0u);
  EXPECT_TRUE(info->uptime_s.has_value());
  EXPECT_TRUE(info->pid.has_value());
  EXPECT_FALSE(parse_show_info("").ok());
  EXPECT_FALSE(parse_show_info(fixture("haproxy_garbage.txt")).ok());
  EXPECT_EQ(parse_show_info("Version: 3.0\nUptime_sec: x\n")->uptime_s, 0);
}

TEST(HaproxyState, SystemdStates) {
  using protocol::HaproxyState;
  EXPECT_EQ(state_from_systemd("loaded", "active"), HaproxyState::running);
  EXPECT_EQ(state_from_systemd("loaded", "reloading"), HaproxyState::running);
  EXPECT_EQ(state_from_systemd("loaded", "failed"), HaproxyState::stopped);
  EXPECT_EQ(state_from_systemd("loaded", "activating"), HaproxyState::stopped);
  EXPECT_EQ(state_from_systemd("masked", "inactive"), HaproxyState::stopped);
  EXPECT_EQ(state_from_systemd("not-found", "inactive"), HaproxyState::absent);
}

TEST(HaproxyState, ProcStat) {
  EXPECT_TRUE(is_live_haproxy_stat("1234 (haproxy) S 1 1234 1234 0 -1"));
  EXPECT_FALSE(is_live_haproxy_stat("1234 (haproxy) Z 1 1234 1234 0 -1"));
  EXPECT_FALSE(is_live_haproxy_stat("1234 (nginx) S 1"));
  EXPECT_FALSE(is_live_haproxy_stat("1234 (haproxy (x)) S 1"));
  EXPECT_FALSE(is_live_haproxy_stat("garbage"));
  EXPECT_FALSE(is_live_haproxy_stat("1 (haproxy)"));
}

}  // namespace
}  // namespace balctl::agent::collectors
