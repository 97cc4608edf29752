// Probe tasks in the heartbeat reply: attempts and spacing are optional (older peers), out-of-range tasks
// are skipped with their reason while the rest of the reply still counts.
#include <gtest/gtest.h>

#include "common/json.hpp"
#include "common/protocol.hpp"

namespace balctl::protocol {
namespace {

Result<HeartbeatResponse> parse_with_probes(const std::string& probes) {
  return parse_heartbeat_response(
      *json::parse_object(R"({"interval_ms":1000,"jobs":[],"probes":)" + probes + "}"));
}

TEST(ProbeTask, RoundTripKeepsAttemptsAndSpacing) {
  HeartbeatResponse response;
  response.probes.push_back(ProbeTask{7, "127.0.0.9", {80, 443}, 1000, 4, 200});
  const auto parsed = parse_heartbeat_response(to_json(response));
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->probes.size(), 1u);
  const auto& task = parsed->probes[0];
  EXPECT_EQ(task.id, 7);
  EXPECT_EQ(task.target, "127.0.0.9");
  EXPECT_EQ(task.ports, (std::vector<int>{80, 443}));
  EXPECT_EQ(task.timeout_ms, 1000);
  EXPECT_EQ(task.attempts, 4);
  EXPECT_EQ(task.spacing_ms, 200);
  EXPECT_TRUE(parsed->ignored_probes.empty());
}

// What an older control plane sends: one attempt, as the agent always did.
TEST(ProbeTask, AbsentAttemptsAndSpacingMeanOneAttempt) {
  const auto parsed = parse_with_probes(R"([{"id":1,"target":"127.0.0.2","ports":[80],"timeout_ms":500}])");
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->probes.size(), 1u);
  EXPECT_EQ(parsed->probes[0].attempts, 1);
  EXPECT_EQ(parsed->probes[0].spacing_ms, 0);
}

TEST(ProbeTask, RangesAreInclusive) {
  const auto parsed = parse_with_probes(
      R"([{"id":1,"target":"127.0.0.2","ports":[80],"timeout_ms":50,"attempts":1,"spacing_ms":0},
          {"id":2,"target":"127.0.0.2","ports":[80],"timeout_ms":10000,"attempts":8,"spacing_ms":2000}])");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->probes.size(), 2u);
  EXPECT_TRUE(parsed->ignored_probes.empty());
}

TEST(ProbeTask, OutOfRangeTasksAreIgnoredNamingTheFieldAndTheReplyStillCounts) {
  const auto parsed = parse_with_probes(
      R"([{"id":1,"target":"127.0.0.2","ports":[80],"attempts":9},
          {"id":2,"target":"127.0.0.2","ports":[80],"spacing_ms":2001},
          {"id":3,"target":"127.0.0.2","ports":[80],"timeout_ms":49},
          {"id":4,"target":"127.0.0.2","ports":[80],"timeout_ms":10001},
          {"id":5,"target":"127.0.0.2","ports":[80],"attempts":0},
          {"id":6,"target":"not-an-ip","ports":[80]},
          "junk",
          {"id":8,"target":"127.0.0.3","ports":[443],"attempts":4,"spacing_ms":200,"timeout_ms":2000}])");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->interval_ms, 1000);
  ASSERT_EQ(parsed->probes.size(), 1u);
  EXPECT_EQ(parsed->probes[0].id, 8);
  ASSERT_EQ(parsed->ignored_probes.size(), 7u);
  EXPECT_NE(parsed->ignored_probes[0].find("probes[0].attempts"), std::string::npos)
      << parsed->ignored_probes[0];
  EXPECT_NE(parsed->ignored_probes[1].find("probes[1].spacing_ms"), std::string::npos);
  EXPECT_NE(parsed->ignored_probes[2].find("probes[2].timeout_ms"), std::string::npos);
  EXPECT_NE(parsed->ignored_probes[3].find("probes[3].timeout_ms"), std::string::npos);
  EXPECT_NE(parsed->ignored_probes[4].find("probes[4].attempts"), std::string::npos);
  EXPECT_NE(parsed->ignored_probes[5].find("probes[5].target"), std::string::npos);
  EXPECT_NE(parsed->ignored_probes[6].find("probes[6]"), std::string::npos);
}

TEST(ProbeTask, TooManyTasksStillRejectTheReply) {
  std::string many = "[";
  for (std::size_t i = 0; i <= kMaxProbes; ++i)
    many += std::string(i ? "," : "") + R"({"id":1,"target":"127.0.0.2"})";
  EXPECT_FALSE(parse_with_probes(many + "]").ok());
}

}  // namespace
}  // namespace balctl::protocol
