// "show stat" and "show info" parsing, on replies captured from a real HAProxy 2.6 (see
// tests/fixtures/agent/capture.sh) and on hand-made hostile input.
#include "agent/collectors/haproxy_parsers.hpp"

#include <gtest/gtest.h>

#include "unit/agent/collectors/fixtures.hpp"

namespace balctl::agent::collectors {
namespace {

using test::fixture;

const protocol::HaproxyRow* find_row(const ShowStat& stat, std::string_view proxy, std::string_view service) {
  for (const auto& row : stat.rows) {
    if (row.proxy == proxy && row.service == service) return &row;
  }
  return nullptr;
}

TEST(ShowStat, ParsesRealHaproxyOutput) {
  const auto stat = parse_show_stat(fixture("haproxy_show_stat.csv"));
  ASSERT_TRUE(stat.ok()) << stat.error().message;
  EXPECT_EQ(stat->rows.size(), 11u);
  EXPECT_EQ(stat->skipped, 0u);
  EXPECT_FALSE(stat->truncated);

  const auto* frontend = find_row(*stat, "fe_http", "FRONTEND");
  ASSERT_NE(frontend, nullptr);
  EXPECT_EQ(frontend->type, "frontend");
  EXPECT_EQ(frontend->status, "OPEN");
  EXPECT_EQ(frontend->session_rate, 1);
  EXPECT_EQ(frontend->bytes_in, 246);
  EXPECT_EQ(frontend->bytes_out, 219);

  const auto* up = find_row(*stat, "be_app", "app_up");
  ASSERT_NE(up, nullptr);
  EXPECT_EQ(up->type, "server");
  EXPECT_EQ(up->status, "UP");
  EXPECT_EQ(up->check_status, "L4OK");

  const auto* down = find_row(*stat, "be_app", "app_down");
  ASSERT_NE(down, nullptr);
  EXPECT_EQ(down->status, "DOWN");
  EXPECT_EQ(down->check_status, "L4CON");
  EXPECT_EQ(find_row(*stat, "be_app", "app_maint")->status, "MAINT");
  EXPECT_EQ(find_row(*stat, "be_app", "BACKEND")->type, "backend");

  // Its last_chk field is CSV-quoted ("Service Unavailable comment: wrong, very ""wrong"""); the
  // columns after it must still line up.
  const auto* quoted = find_row(*stat, "be_api", "api_503");
  ASSERT_NE(quoted, nullptr);
  EXPECT_EQ(quoted->status, "DOWN");
  EXPECT_EQ(quoted->check_status, "L7STS");

  // A listen section is a frontend and a backend of the same name.
  EXPECT_EQ(find_row(*stat, "web_listen", "FRONTEND")->current_sessions, 2);
  EXPECT_EQ(find_row(*stat, "web_listen", "BACKEND")->type, "backend");
}

TEST(ShowStat, DropsTheRowCutOffAtTheEnd) {
  // Cut inside the quoted field of be_api/api_503: the rows before it survive, the cut one does not.
  const auto stat = parse_show_stat(fixture("haproxy_show_stat_truncated.csv"));
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->rows.size(), 5u);
  EXPECT_EQ(stat->skipped, 1u);
  EXPECT_EQ(stat->rows.back().service, "BACKEND");
  EXPECT_EQ(find_row(*stat, "be_api", "api_503"), nullptr);
  // Cut just before the final newline: the last row's last field could be cut mid-number.
  const auto cut = parse_show_stat("# pxname,svname,scur\np,s,12\np,t,34");
  ASSERT_TRUE(cut.ok());
  ASSERT_EQ(cut->rows.size(), 1u);
  EXPECT_EQ(cut->rows[0].current_sessions, 12);
}

TEST(ShowStat, MapsColumnsByHeaderNameAndDecodesQuotes) {
  const auto stat = parse_show_stat(
      "# svname,status,note,pxname,scur,check_status,type,bin,bout,rate\n"
      "web1,UP,\"a, \"\"b\"\"\nc\",be,7,L7OK,2,100,200,3\r\n"
      "\"odd,name\",\"DOWN\",,be,0,,2,,,\n");
  ASSERT_TRUE(stat.ok());
  ASSERT_EQ(stat->rows.size(), 2u);
  const auto& row = stat->rows[0];
  EXPECT_EQ(row.proxy, "be");
  EXPECT_EQ(row.service, "web1");
  EXPECT_EQ(row.current_sessions, 7);
  EXPECT_EQ(row.session_rate, 3);
  EXPECT_EQ(row.bytes_in, 100);
  EXPECT_EQ(row.bytes_out, 200);
  EXPECT_EQ(row.check_status, "L7OK");
  EXPECT_EQ(row.type, "server");
  EXPECT_EQ(stat->rows[1].service, "odd,name");
  EXPECT_EQ(stat->rows[1].status, "DOWN");
}

TEST(ShowStat, MissingColumnsAreEmptyAndTypeFollowsTheName) {
  const auto stat = parse_show_stat("# pxname,svname\nfe,FRONTEND\nbe,BACKEND\nbe,s1\n");
  ASSERT_TRUE(stat.ok());
  ASSERT_EQ(stat->rows.size(), 3u);
  EXPECT_EQ(stat->rows[0].type, "frontend");
  EXPECT_EQ(stat->rows[1].type, "backend");
  EXPECT_EQ(stat->rows[2].type, "server");
  EXPECT_EQ(stat->rows[2].status, "");
  EXPECT_EQ(stat->rows[2].current_sessions, 0);
  EXPECT_EQ(row_type("3", "x"), "listener");
  EXPECT_EQ(row_type("9", "BACKEND"), "backend");
  EXPECT_EQ(row_type("-1", "FRONTEND"), "frontend");
}

TEST(ShowStat, SurvivesGarbage) {
  EXPECT_FALSE(parse_show_stat(fixture("haproxy_garbage.txt")).ok());
  EXPECT_FALSE(parse_show_stat("").ok());
  EXPECT_FALSE(parse_show_stat("# a,b,c\n1,2,3\n").ok());  // header without pxname/svname
  const auto unknown = parse_show_stat(fixture("haproxy_unknown_command.txt"));
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("Unknown command"), std::string::npos) << unknown.error().message;

  const auto odd = parse_show_stat(
      "junk before\n# pxname,svname,scur\np,s,notanumber\n,,\np2,s2,-4\np3,s3,99999999999999999999\n"
      "# pxname,svname,scur\n\"unterminated,s4,1\n");
  ASSERT_TRUE(odd.ok());
  ASSERT_EQ(odd->rows.size(), 3u);
  EXPECT_EQ(odd->skipped, 2u);  // the nameless row and the unterminated quote
  for (const auto& row : odd->rows)
    EXPECT_EQ(row.current_sessions, 0);
}

TEST(ShowStat, CleansAndBoundsStrings) {
  const auto stat = parse_show_stat("# pxname,svname,status\np\xFF,s,\x01" + std::string(100, 'U') + "\n" +
                                    std::string(300, 'n') + ",s,UP\n");
  ASSERT_TRUE(stat.ok());
  ASSERT_EQ(stat->rows.size(), 1u);
  EXPECT_EQ(stat->rows[0].proxy, "p?");
  EXPECT_EQ(stat->rows[0].status.size(), 64u);
  EXPECT_EQ(stat->rows[0].status[0], '?');
  EXPECT_EQ(stat->skipped, 1u);  // a name longer than the control plane accepts is not cut to fit
}

TEST(ShowStat, CapsTheRowCount) {
  std::string csv = "# pxname,svname\n";
  for (std::size_t i = 0; i < protocol::kMaxHaproxyRows + 10; ++i)
    csv += "p,s" + std::to_string(i) + "\n";
  const auto stat = parse_show_stat(csv);
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->rows.size(), protocol::kMaxHaproxyRows);
  EXPECT_TRUE(stat->truncated);
}

TEST(ShowInfo, ParsesRealOutput) {
  const auto info = parse_show_info(fixture("haproxy_show_info.txt"));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->version, "2.6.12-1+deb12u4");
  EXPECT_TRUE(info->uptime_s.has_value());
  EXPECT_GT(info->pid.value_or(0), 0);
}

TEST(ShowInfo, ErrorsQuoteTheReply) {
  const auto empty = parse_show_info("");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("empty reply"), std::string::npos);
  const auto denied = parse_show_info("\nPermission denied\n\n");
  ASSERT_FALSE(denied.ok());
  EXPECT_NE(denied.error().message.find("\"Permission denied\""), std::string::npos);
  EXPECT_FALSE(parse_show_info(fixture("haproxy_garbage.txt")).ok());
  EXPECT_FALSE(parse_show_info(fixture("haproxy_unknown_command.txt")).ok());
  EXPECT_FALSE(parse_show_info(fixture("haproxy_show_stat.csv")).ok());
}

TEST(ShowInfo, BadValuesAreAbsent) {
  const auto info = parse_show_info("Version: 3.0\r\nUptime_sec: x\nPid: -3\n");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->version, "3.0");
  EXPECT_FALSE(info->uptime_s);
  EXPECT_FALSE(info->pid);
  EXPECT_EQ(parse_show_info("Version: " + std::string(200, 'v'))->version.size(), 64u);
}

}  // namespace
}  // namespace balctl::agent::collectors
