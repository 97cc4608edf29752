#include "common/protocol.hpp"

#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/json.hpp"

namespace balctl::protocol {
namespace {

Heartbeat sample() {
  Heartbeat hb;
  hb.agent_version = "0.1.0";
  hb.seq = 9;
  hb.hostname = "lb1";
  hb.uptime_s = 12.5;
  hb.load = std::array<double, 3>{0.5, 0.25, 0.125};
  hb.cpu_pct = 7.5;
  hb.memory = Memory{2048, 1024};
  hb.disks = {{"/", "ext4", 1000, 400}};
  hb.ipv4 = {{"eth0", "192.0.2.10", 24}};
  hb.kernel = "6.1.0";
  hb.os = "Debian GNU/Linux 12 (bookworm)";
  hb.haproxy.state = HaproxyState::running;
  hb.haproxy.version = "2.6.12";
  hb.haproxy.uptime_s = 99;
  hb.haproxy.rows = {{"fe", "FRONTEND", "frontend", "OPEN", 3, 10, 100, 200, ""},
                     {"be", "app1", "server", "UP", 1, 2, 3, 4, "L7OK"}};
  hb.services = {{"haproxy.service", "active"}};
  return hb;
}

Result<Heartbeat> reparse(const Heartbeat& hb) {
  return parse_heartbeat(*json::parse_object(json::to_string(to_json(hb))));
}

Result<Heartbeat> parse_text(std::string_view text) {
  auto object = json::parse_object(text);
  EXPECT_TRUE(object.ok()) << text;
  return parse_heartbeat(*object);
}

TEST(Heartbeat, RoundTripsThroughJson) {
  const auto parsed = reparse(sample());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->seq, 9);
  EXPECT_EQ(parsed->hostname, "lb1");
  EXPECT_EQ((*parsed->load)[2], 0.125);
  EXPECT_EQ(parsed->memory->available_kb, 1024);
  EXPECT_EQ(parsed->disks.at(0).used_bytes, 400);
  EXPECT_EQ(parsed->ipv4.at(0).prefix_length, 24);
  EXPECT_EQ(parsed->haproxy.state, HaproxyState::running);
  ASSERT_EQ(parsed->haproxy.rows.size(), 2u);
  EXPECT_EQ(parsed->haproxy.rows[1].check_status, "L7OK");
  EXPECT_EQ(parsed->haproxy.rows[0].bytes_out, 200);
  EXPECT_EQ(parsed->services.at(0).state, "active");
}

TEST(Heartbeat, MinimalBodyIsEnough) {
  const auto parsed = parse_text(R"({"agent_version":"1","seq":0})");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->haproxy.state, HaproxyState::unknown);
  EXPECT_FALSE(parsed->memory.has_value());
}

TEST(Heartbeat, ErrorsNameTheField) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"({"seq":1})", "agent_version"},
      {R"({"agent_version":"1"})", "seq"},
      {R"({"agent_version":"1","seq":-5})", "seq"},
      {R"({"agent_version":"1","seq":1,"load":[1,2]})", "load"},
      {R"({"agent_version":"1","seq":1,"load":[1,"a",3]})", "load"},
      {R"({"agent_version":"1","seq":1,"haproxy":{"state":"dead"}})", "haproxy.state"},
      {R"({"agent_version":"1","seq":1,"haproxy":{}})", "haproxy.state"},
      {R"({"agent_version":"1","seq":1,"haproxy":{"state":"running","rows":[{"proxy":"p","service":"s"},{"proxy":"p"}]}})",
       "haproxy.rows[1].service"},
      {R"({"agent_version":"1","seq":1,"haproxy":{"state":"running","rows":[5]}})", "haproxy.rows[0]"},
      {R"({"agent_version":"1","seq":1,"ipv4":[{"address":"1.2.3"}]})", "ipv4[0].address"},
      {R"({"agent_version":"1","seq":1,"memory":{"total_kb":1}})", "memory.available_kb"},
      {R"({"agent_version":"1","seq":1,"disks":{}})", "disks"},
      {R"({"agent_version":"1","seq":1,"cpu_pct":"high"})", "cpu_pct"},
  };
  for (const auto& [text, field] : cases) {
    const auto parsed = parse_text(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().field, field) << text;
  }
}

TEST(Heartbeat, TooManyRowsIsRefused) {
  Heartbeat hb = sample();
  hb.haproxy.rows.assign(kMaxHaproxyRows + 1, hb.haproxy.rows[0]);
  const auto parsed = reparse(hb);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().field, "haproxy.rows");
}

TEST(HaproxyState, NamesRoundTrip) {
  for (const auto state :
       {HaproxyState::unknown, HaproxyState::running, HaproxyState::stopped, HaproxyState::absent}) {
    EXPECT_EQ(parse_haproxy_state(to_string(state)), state);
  }
  EXPECT_FALSE(parse_haproxy_state("RUNNING"));
}

TEST(Enrol, RequestNormalisesHostname) {
  const auto parsed = parse_enrol_request(
      *json::parse_object(R"({"key":"k","hostname":"LB1.Example.com.","agent_version":"1"})"));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->hostname, "lb1.example.com");
  const auto bad =
      parse_enrol_request(*json::parse_object(R"({"key":"k","hostname":"lb 1","agent_version":"1"})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "hostname");
}

TEST(Enrol, ResponseRoundTrip) {
  EnrolResponse response{7, "bms.7.x", "web", 500, "OvWQImJZ4e7UAlEKM0VgS6NHuYy34YI1oCmRZqlZx/I="};
  const auto parsed = parse_enrol_response(*json::parse_object(json::to_string(to_json(response))));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->member_id, 7);
  EXPECT_EQ(parsed->interval_ms, 500);
}

TEST(HeartbeatResponse, IntervalBounds) {
  EXPECT_TRUE(parse_heartbeat_response(*json::parse_object(R"({"interval_ms":1000,"jobs":[]})")).ok());
  EXPECT_FALSE(parse_heartbeat_response(*json::parse_object(R"({"interval_ms":5})")).ok());
  EXPECT_FALSE(parse_heartbeat_response(*json::parse_object(R"({"interval_ms":600000})")).ok());
  EXPECT_FALSE(parse_heartbeat_response(*json::parse_object(R"({"jobs":[]})")).ok());
}

std::string with_rows(const std::string& rows) {
  return R"({"agent_version":"1","seq":1,"haproxy":{"state":"running","rows":)" + rows + "}}";
}

TEST(Heartbeat, NestedRowErrorsCarryTheirIndex) {
  const auto parsed = parse_text(with_rows(R"([{"proxy":"a","service":"s"},{"proxy":"b","service":"s"},
                                               {"proxy":7,"service":"s"}])"));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().field, "haproxy.rows[2].proxy");
  EXPECT_EQ(parsed.error().code, "invalid_field");
  EXPECT_NE(parsed.error().message.find("haproxy.rows[2].proxy"), std::string::npos);
  const auto negative = parse_text(with_rows(R"([{"proxy":"a","service":"s","bytes_in":-1}])"));
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.error().field, "haproxy.rows[0].bytes_in");
  const auto missing = parse_text(with_rows(R"([{"service":"s"}])"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "missing_field");
  EXPECT_EQ(missing.error().field, "haproxy.rows[0].proxy");
}

TEST(Heartbeat, MissingRequiredFieldsAreMissingNotInvalid) {
  const auto no_version = parse_text(R"({"seq":1})");
  ASSERT_FALSE(no_version.ok());
  EXPECT_EQ(no_version.error().code, "missing_field");
  EXPECT_EQ(no_version.error().kind, Errc::invalid_argument);
  const auto no_seq = parse_text(R"({"agent_version":"1"})");
  ASSERT_FALSE(no_seq.ok());
  EXPECT_EQ(no_seq.error().code, "missing_field");
  EXPECT_EQ(no_seq.error().field, "seq");
  const auto both = parse_text("{}");
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().field, "agent_version") << "the first problem is reported";
}

TEST(Heartbeat, BadHaproxyStateIsNamed) {
  for (const char* body :
       {R"({"agent_version":"1","seq":1,"haproxy":{"state":"Running"}})",
        R"({"agent_version":"1","seq":1,"haproxy":{"state":1}})",
        R"({"agent_version":"1","seq":1,"haproxy":{"state":"running-ish-and-very-long"}})"}) {
    const auto parsed = parse_text(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().field, "haproxy.state") << body;
  }
  const auto not_object = parse_text(R"({"agent_version":"1","seq":1,"haproxy":"running"})");
  ASSERT_FALSE(not_object.ok());
  EXPECT_EQ(not_object.error().field, "haproxy");
}

TEST(Heartbeat, LoadMustBeThreeNumbers) {
  for (const char* load : {"[]", "[1]", "[1,2]", "[1,2,3,4]", "[1,2,null]", "\"1 2 3\"", "{}"}) {
    const auto parsed = parse_text(std::string(R"({"agent_version":"1","seq":1,"load":)") + load + "}");
    ASSERT_FALSE(parsed.ok()) << load;
    EXPECT_EQ(parsed.error().field, "load") << load;
  }
  const auto ok = parse_text(R"({"agent_version":"1","seq":1,"load":[0,1.5,2]})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok->load)[1], 1.5);
}

TEST(Heartbeat, TooManyRowsIsRefusedAtTheLimitPlusOne) {
  Heartbeat hb = sample();
  hb.haproxy.rows.assign(kMaxHaproxyRows, hb.haproxy.rows[0]);
  const auto at_limit = reparse(hb);
  ASSERT_TRUE(at_limit.ok());
  EXPECT_EQ(at_limit->haproxy.rows.size(), kMaxHaproxyRows);
  hb.disks.assign(kMaxDisks + 1, hb.disks[0]);
  const auto disks = reparse(hb);
  ASSERT_FALSE(disks.ok());
  EXPECT_EQ(disks.error().field, "disks");
}

TEST(Heartbeat, InvalidIpv4EntriesAreNamed) {
  for (const char* address : {"01.2.3.4", "1.2.3", "256.1.1.1", "::1", "1.2.3.4.5"}) {
    const auto parsed =
        parse_text(std::string(R"({"agent_version":"1","seq":1,"ipv4":[{"address":"10.0.0.1"},)") +
                   R"({"interface":"eth1","address":")" + address + R"("}]})");
    ASSERT_FALSE(parsed.ok()) << address;
    EXPECT_EQ(parsed.error().field, "ipv4[1].address") << address;
  }
  const auto prefix =
      parse_text(R"({"agent_version":"1","seq":1,"ipv4":[{"address":"10.0.0.1","prefix_length":33}]})");
  ASSERT_FALSE(prefix.ok());
  EXPECT_EQ(prefix.error().field, "ipv4[0].prefix_length");
}

TEST(Heartbeat, UnknownFieldsAreIgnoredAndNullMeansAbsent) {
  const auto parsed = parse_text(
      R"({"agent_version":"1","seq":2,"future":{"deep":[1,2,3]},"memory":null,"haproxy":{"state":"absent","x":1}})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->haproxy.state, HaproxyState::absent);
  EXPECT_FALSE(parsed->memory.has_value());
  EXPECT_EQ(parsed->seq, 2);
}

TEST(Heartbeat, RoundTripKeepsEveryField) {
  const Heartbeat original = sample();
  const auto parsed = reparse(original);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->agent_version, original.agent_version);
  EXPECT_EQ(parsed->uptime_s, original.uptime_s);
  EXPECT_EQ(parsed->cpu_pct, original.cpu_pct);
  EXPECT_EQ(parsed->memory->total_kb, 2048);
  EXPECT_EQ(parsed->disks.at(0).mount, "/");
  EXPECT_EQ(parsed->disks.at(0).fs_type, "ext4");
  EXPECT_EQ(parsed->disks.at(0).total_bytes, 1000);
  EXPECT_EQ(parsed->ipv4.at(0).interface, "eth0");
  EXPECT_EQ(parsed->ipv4.at(0).address, "192.0.2.10");
  EXPECT_EQ(parsed->kernel, original.kernel);
  EXPECT_EQ(parsed->os, original.os);
  EXPECT_EQ(parsed->haproxy.version, "2.6.12");
  EXPECT_EQ(parsed->haproxy.uptime_s, 99);
  const auto& row = parsed->haproxy.rows.at(0);
  EXPECT_EQ(row.proxy, "fe");
  EXPECT_EQ(row.service, "FRONTEND");
  EXPECT_EQ(row.type, "frontend");
  EXPECT_EQ(row.status, "OPEN");
  EXPECT_EQ(row.current_sessions, 3);
  EXPECT_EQ(row.session_rate, 10);
  EXPECT_EQ(row.bytes_in, 100);
  EXPECT_EQ(parsed->services.at(0).name, "haproxy.service");
  // And the JSON of the parsed copy is byte-identical to the original's.
  EXPECT_EQ(json::to_string(to_json(*parsed)), json::to_string(to_json(original)));
}

TEST(Enrol, RequestRequiresEveryField) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {R"({"hostname":"lb1","agent_version":"1"})", "key"},
      {R"({"key":"k","agent_version":"1"})", "hostname"},
      {R"({"key":"k","hostname":"lb1"})", "agent_version"},
      {R"({"key":"k","hostname":"-lb1","agent_version":"1"})", "hostname"},
      {R"({"key":"k","hostname":"lb1.","agent_version":2})", "agent_version"},
  };
  for (const auto& [text, field] : cases) {
    const auto parsed = parse_enrol_request(*json::parse_object(text));
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().field, field) << text;
  }
  const EnrolRequest request{"bek.a.b", "LB1.example.com", "0.1"};
  const auto parsed = parse_enrol_request(to_json(request));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->key, "bek.a.b");
  EXPECT_EQ(parsed->hostname, "lb1.example.com");
  EXPECT_EQ(parsed->agent_version, "0.1");
}

TEST(Enrol, ResponseValidatesAndDefaults) {
  const auto defaults =
      parse_enrol_response(*json::parse_object(R"({"member_id":3,"secret":"bms.3.s","pool":"web"})"));
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->interval_ms, kDefaultIntervalMs);
  EXPECT_EQ(defaults->server_public_key, "");
  EXPECT_EQ(
      parse_enrol_response(*json::parse_object(R"({"member_id":0,"secret":"s","pool":"web"})")).error().field,
      "member_id");
  EXPECT_EQ(parse_enrol_response(*json::parse_object(R"({"member_id":1,"pool":"web"})")).error().field,
            "secret");
  EXPECT_EQ(parse_enrol_response(
                *json::parse_object(R"({"member_id":1,"secret":"s","pool":"web","interval_ms":50})"))
                .error()
                .field,
            "interval_ms");
}

TEST(HeartbeatResponse, IntervalBoundariesAreInclusive) {
  const auto parse = [](std::int64_t interval) {
    return parse_heartbeat_response(
        boost::json::object{{"interval_ms", interval}, {"jobs", boost::json::array{}}});
  };
  EXPECT_EQ(parse(100)->interval_ms, 100);
  EXPECT_EQ(parse(60'000)->interval_ms, 60'000);
  EXPECT_EQ(parse(99).error().field, "interval_ms");
  EXPECT_EQ(parse(60'001).error().field, "interval_ms");
  const auto missing = parse_heartbeat_response(*json::parse_object(R"({"jobs":[]})"));
  EXPECT_EQ(missing.error().code, "missing_field");
  const auto bad_jobs = parse_heartbeat_response(*json::parse_object(R"({"interval_ms":1000,"jobs":{}})"));
  EXPECT_EQ(bad_jobs.error().field, "jobs");
}

TEST(HeartbeatResponse, RoundTripKeepsJobs) {
  HeartbeatResponse response;
  response.interval_ms = 250;
  response.jobs.push_back(boost::json::object{{"id", "j1"}, {"kind", "reload"}});
  const auto parsed = parse_heartbeat_response(to_json(response));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->interval_ms, 250);
  ASSERT_EQ(parsed->jobs.size(), 1u);
  EXPECT_EQ(parsed->jobs[0].as_object().at("id").as_string(), "j1");
}

}  // namespace
}  // namespace balctl::protocol

namespace balctl::protocol {
namespace {

// What an agent says about itself is held to a charset: a version or unit name with a line break would
// otherwise be written into the control plane's log and events as it is.
TEST(Heartbeat, AgentIdentifiersMustBeSafeTokens) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"agent_version":"1.0\nlevel=error msg=forged","seq":1})", "agent_version"},
      {R"({"agent_version":"1.0 beta","seq":1})", "agent_version"},
      {R"({"agent_version":"","seq":1})", "agent_version"},
      {R"({"agent_version":"1\u0000","seq":1})", "agent_version"},
      {R"({"agent_version":"1","seq":1,"hostname":"lb1\nx"})", "hostname"},
      {R"({"agent_version":"1","seq":1,"hostname":"lb_1"})", "hostname"},
      {R"({"agent_version":"1","seq":1,"services":[{"name":"haproxy.service\r"}]})", "services[0].name"},
      {R"({"agent_version":"1","seq":1,"services":[{"name":"ha proxy"}]})", "services[0].name"},
      {R"({"agent_version":"1","seq":1,"services":[{"name":"a.service","state":"Active\n"}]})",
       "services[0].state"},
      {R"({"agent_version":"1","seq":1,"haproxy":{"state":"running","rows":[{"proxy":"p","service":"s",)"
       R"("type":"server\n"}]}})",
       "haproxy.rows[0].type"},
  };
  for (const auto& [text, field] : cases) {
    const auto parsed = parse_text(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().code, "invalid_field") << text;
    EXPECT_EQ(parsed.error().field, field) << text;
    EXPECT_NE(parsed.error().message.find(field), std::string::npos) << parsed.error().message;
  }
}

TEST(Heartbeat, AcceptedIdentifiersCoverRealSpellings) {
  for (const char* version : {"0.1.0", "1.2.3-rc1+git.abc_d~1", "0.1.0-test", "k"}) {
    const auto parsed = parse_text(std::string(R"({"agent_version":")") + version +
                                   R"(","seq":1,"hostname":"LB1.Example.com","services":[)"
                                   R"({"name":"haproxy@blue.service","state":"activating"},)"
                                   R"({"name":"systemd-networkd.socket","state":""}]})");
    ASSERT_TRUE(parsed.ok()) << version << ": " << parsed.error().message;
    EXPECT_EQ(parsed->hostname, "lb1.example.com");
  }
}

// HAProxy's names, versions and error text stay free: they are stored as sent and escaped where shown.
TEST(Heartbeat, FreeTextIsKeptAsSent) {
  const auto parsed = parse_text(
      R"json({"agent_version":"1","seq":1,"haproxy":{"state":"stopped","version":"2.9 (custom build)",)json"
      R"json("detail":"socket\nlevel=error","rows":[{"proxy":"be app","service":"app1\nlevel=error msg=forged"}]}})json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->haproxy.rows.at(0).service, "app1\nlevel=error msg=forged");
  EXPECT_EQ(parsed->haproxy.version, "2.9 (custom build)");
  EXPECT_EQ(parsed->haproxy.detail, "socket\nlevel=error");
}

TEST(Enrol, RequestAgentVersionMustBeASafeToken) {
  const auto bad = parse_enrol_request(
      *json::parse_object(R"({"key":"k","hostname":"lb1","agent_version":"1.0\nlevel=error msg=forged"})"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().field, "agent_version");
  EXPECT_EQ(bad.error().kind, Errc::invalid_argument);
}

// The agent writes these into agent.env as they are: each is refused unless it has the expected form.
TEST(Enrol, ResponseValuesMustBeWritableAsTheyAre) {
  const std::string key = "OvWQImJZ4e7UAlEKM0VgS6NHuYy34YI1oCmRZqlZx/I=";
  const auto parse = [](const boost::json::object& object) { return parse_enrol_response(object); };
  const boost::json::object good{{"member_id", 4}, {"secret", "bms.4.abc-_DEF"}, {"pool", "web"},
                                 {"server_public_key", key}};
  ASSERT_TRUE(parse(good).ok());
  const std::vector<std::pair<boost::json::object, std::string>> cases = {
      {{{"member_id", 4}, {"secret", "bms.4.abc\nBALCTL_API_BASE=https://evil"}, {"pool", "web"}}, "secret"},
      {{{"member_id", 4}, {"secret", "bms.5.abc"}, {"pool", "web"}}, "secret"},  // another member's
      {{{"member_id", 4}, {"secret", "bms.4.a b"}, {"pool", "web"}}, "secret"},
      {{{"member_id", 4}, {"secret", "bms.4.abc"}, {"pool", "web\n"}}, "pool"},
      {{{"member_id", 4}, {"secret", "bms.4.abc"}, {"pool", "web"}, {"server_public_key", key + "\n"}},
       "server_public_key"},
      {{{"member_id", 4}, {"secret", "bms.4.abc"}, {"pool", "web"}, {"server_public_key", "c2hvcnQ="}},
       "server_public_key"},
  };
  for (const auto& [object, field] : cases) {
    const auto parsed = parse(object);
    ASSERT_FALSE(parsed.ok()) << json::to_string(object);
    EXPECT_EQ(parsed.error().field, field) << json::to_string(object);
    EXPECT_NE(parsed.error().message.find("enrol reply"), std::string::npos) << parsed.error().message;
  }
}

}  // namespace
}  // namespace balctl::protocol
