#include "server/liveness/heartbeat_service.hpp"

#include <array>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/time.hpp"
#include "server/liveness/persister.hpp"
#include "server/store/sqlite.hpp"
#include "unit/server/inventory/fleet_fixture.hpp"

namespace balctl::liveness {
namespace {

class HeartbeatServiceTest : public testing::FleetFixture {
 protected:
  void SetUp() override {
    FleetFixture::SetUp();
    service_ = std::make_unique<HeartbeatService>(registry_, liveness_, *events_, HeartbeatSettings{750});
    persister_ = std::make_unique<Persister>(*store_, liveness_, registry_, *events_, std::chrono::hours(1),
                                             time::steady_ms_now());
    make_pool("web");
  }

  // One round of the persister, as its thread runs every flush interval.
  void flush() { ASSERT_TRUE(persister_->run_once(time::steady_ms_now()).ok()); }

  // Makes every event write fail (a real SQLite error, from a second connection) until `allow_events`.
  void refuse_events() {
    ASSERT_TRUE(store::Database::open(dir_.path() / "balctl.db")
                    ->exec("CREATE TRIGGER refuse_events BEFORE INSERT ON events "
                           "BEGIN SELECT RAISE(ABORT, 'disk says no'); END")
                    .ok());
  }
  void allow_events() {
    ASSERT_TRUE(store::Database::open(dir_.path() / "balctl.db")->exec("DROP TRIGGER refuse_events").ok());
  }

  std::string with_haproxy(int seq, const std::string& state) {
    return R"({"agent_version":"0.1.0","seq":)" + std::to_string(seq) + R"(,"haproxy":{"state":")" + state +
           R"("}})";
  }

  // The events heartbeats caused, as stored: they are written before the heartbeat is answered.
  std::vector<store::EventRecord> heartbeat_events() {
    std::vector<store::EventRecord> out;
    for (auto& event : stored_events()) {
      if (event.actor.rfind("agent:", 0) == 0 && event.kind != "member_enrolled")
        out.push_back(std::move(event));
    }
    return out;
  }

  std::unique_ptr<HeartbeatService> service_;
  std::unique_ptr<Persister> persister_;
  const std::string body_ = R"({"agent_version":"0.1.0","seq":3,"haproxy":{"state":"running","version":"2.6"},
                                "memory":{"total_kb":1000,"available_kb":250}})";
};

TEST_F(HeartbeatServiceTest, AcceptsAndRecordsLiveness) {
  const auto secret = enrolled("web", "lb1");
  const auto reply = service_->handle(secret, "127.0.0.1", body_);
  ASSERT_TRUE(reply.ok()) << reply.error().message;
  EXPECT_EQ(reply->interval_ms, 750);
  EXPECT_TRUE(reply->jobs.empty());
  const auto member = fleet_->get_member("web", "lb1");
  EXPECT_EQ(member->status, MemberStatus::online);
  EXPECT_EQ(member->liveness->seq, 3);
  EXPECT_EQ(member->liveness->haproxy, protocol::HaproxyState::running);
  EXPECT_DOUBLE_EQ(*member->liveness->host.memory_used_pct, 75.0);
  EXPECT_TRUE(member->liveness->pending_report.has_value());
  EXPECT_TRUE(heartbeat_events().empty()) << "member_online waits for the batch with its state";
  flush();
  const auto stored = heartbeat_events();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].kind, "member_online");
  EXPECT_NE(stored[0].message.find("first heartbeat"), std::string::npos);
  EXPECT_TRUE(events_->take_queued().empty());
}

TEST_F(HeartbeatServiceTest, RefusesBadCredentials) {
  const auto secret = enrolled("web", "lb1");
  const std::string wrong_secret = secret.substr(0, secret.size() - 1) + (secret.back() == 'a' ? "b" : "a");
  for (const std::string& token : {std::string(), std::string("bms"), std::string("bms.x.y"),
                                   std::string("bms.99.y"), std::string("bat.1.y"), wrong_secret}) {
    const auto reply = service_->handle(token, "127.0.0.1", body_);
    ASSERT_FALSE(reply.ok()) << token;
    EXPECT_EQ(reply.error().kind, Errc::unauthorized) << token;
  }
  EXPECT_EQ(fleet_->get_member("web", "lb1")->status, MemberStatus::never_seen);
}

TEST_F(HeartbeatServiceTest, BadBodiesNameTheFieldAndChangeNothing) {
  const auto secret = enrolled("web", "lb1");
  const auto bad_json = service_->handle(secret, "127.0.0.1", "{oops");
  EXPECT_EQ(bad_json.error().code, "bad_json");
  const auto bad_field = service_->handle(secret, "127.0.0.1", R"({"agent_version":"1","seq":"x"})");
  EXPECT_EQ(bad_field.error().field, "seq");
  EXPECT_EQ(fleet_->get_member("web", "lb1")->status, MemberStatus::never_seen);
}

TEST_F(HeartbeatServiceTest, EgressMismatchIsRefusedWithOneEventPerMinute) {
  const auto issued = add_member("web", "lb2", "10.9.9.9");
  const auto secret = enrolment_->enrol({issued.key, "lb2", "t"}, "10.9.9.9")->secret;
  for (int i = 0; i < 3; ++i) {
    const auto reply = service_->handle(secret, "127.0.0.1", body_);
    ASSERT_FALSE(reply.ok());
    EXPECT_EQ(reply.error().code, "egress_ip_mismatch");
    EXPECT_EQ(reply.error().kind, Errc::forbidden);
  }
  const auto stored = heartbeat_events();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].kind, "heartbeat_refused");
  EXPECT_TRUE(service_->handle(secret, "::ffff:10.9.9.9", body_).ok());
}

TEST_F(HeartbeatServiceTest, HaproxyChangeIsStoredBeforeTheHeartbeatIsAnswered) {
  const auto secret = enrolled("web", "lb1");
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", body_).ok());
  ASSERT_TRUE(
      service_->handle(secret, "127.0.0.1", R"({"agent_version":"1","seq":4,"haproxy":{"state":"stopped"}})")
          .ok());
  const auto stored = heartbeat_events();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].kind, "haproxy_state");
  EXPECT_NE(stored[1].message.find("running -> stopped"), std::string::npos);
  // With the liveness it reflects, in the same transaction: after a kill -9 the restored state does not
  // make the next heartbeat raise the same change again.
  const auto states = *store_->load_states();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].seq, 4);
  EXPECT_EQ(states[0].haproxy_state, "stopped");
  EXPECT_TRUE(states[0].online);
  EXPECT_TRUE(events_->take_queued().empty());
}

TEST_F(HeartbeatServiceTest, OrdinaryHeartbeatsWriteNothing) {
  const auto secret = enrolled("web", "lb1");
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", body_).ok());  // first heartbeat: member_online
  flush();
  const auto events_before = stored_events().size();
  const auto states_before = *store_->load_states();
  for (int seq = 4; seq < 10; ++seq) {
    const std::string body = R"({"agent_version":"0.1.0","seq":)" + std::to_string(seq) +
                             R"(,"haproxy":{"state":"running","version":"2.6"}})";
    ASSERT_TRUE(service_->handle(secret, "127.0.0.1", body).ok());
  }
  EXPECT_EQ(stored_events().size(), events_before);
  const auto states_after = *store_->load_states();
  ASSERT_EQ(states_after.size(), 1u);
  EXPECT_EQ(states_after[0].seq, states_before.at(0).seq) << "left to the persister's batch";
  EXPECT_EQ(liveness_.get(member_id_of(secret))->seq, 9);
}

TEST_F(HeartbeatServiceTest, EventsAreQueuedWhenTheStoreCannotTakeThem) {
  const auto secret = enrolled("web", "lb1");
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", body_).ok());
  flush();
  refuse_events();
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", with_haproxy(4, "stopped")).ok())
      << "the heartbeat is still answered";
  allow_events();
  flush();
  const auto stored = heartbeat_events();
  ASSERT_EQ(stored.size(), 2u) << "written late, by the next batch, and once";
  EXPECT_EQ(stored[1].kind, "haproxy_state");
  EXPECT_TRUE(events_->take_queued().empty());
}

TEST_F(HeartbeatServiceTest, AnOnlineEventNotYetWrittenGoesWithAHaproxyChange) {
  const auto secret = enrolled("web", "lb1");
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", body_).ok());
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", with_haproxy(4, "stopped")).ok());
  // Before any batch: the state written with haproxy_state says the member is online, so the event that
  // says so is in the same transaction, first.
  auto stored = heartbeat_events();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].kind, "member_online");
  EXPECT_EQ(stored[1].kind, "haproxy_state");
  flush();
  EXPECT_EQ(heartbeat_events().size(), 2u) << "the batch does not write member_online again";
}

TEST_F(HeartbeatServiceTest, AHaproxyChangeAfterTheBatchWritesOnlyItself) {
  const auto secret = enrolled("web", "lb1");
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", body_).ok());
  flush();
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", with_haproxy(4, "stopped")).ok());
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", with_haproxy(5, "running")).ok());
  const auto stored = heartbeat_events();
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0].kind, "member_online");
  EXPECT_NE(stored[1].message.find("running -> stopped"), std::string::npos);
  EXPECT_NE(stored[2].message.find("stopped -> running"), std::string::npos);
  EXPECT_EQ(store_->load_states()->at(0).haproxy_state, "running");
}

TEST(Summarise, MemoryPercentageGuardsAgainstNonsense) {
  protocol::Heartbeat hb;
  hb.memory = protocol::Memory{0, 0};
  EXPECT_FALSE(summarise(hb).memory_used_pct.has_value());
  hb.memory = protocol::Memory{100, 200};
  EXPECT_DOUBLE_EQ(*summarise(hb).memory_used_pct, 0.0);
}

TEST_F(HeartbeatServiceTest, UnauthorizedErrorsAreUniformAndDoNotParse) {
  const auto secret = enrolled("web", "lb1");
  const auto member_id = secret.substr(4, secret.find('.', 4) - 4);
  for (const std::string& token :
       {std::string("bms.") + member_id + ".", "bms." + member_id + "x.y", std::string("bms.-1.y"),
        std::string("bms.1234567890123456789.y"), "Bearer " + secret, secret + " "}) {
    // A garbage body must not change the answer: authentication comes first.
    const auto reply = service_->handle(token, "127.0.0.1", "not json at all");
    ASSERT_FALSE(reply.ok()) << token;
    EXPECT_EQ(reply.error().code, "unauthorized") << token;
    EXPECT_EQ(reply.error().kind, Errc::unauthorized) << token;
  }
  EXPECT_TRUE(heartbeat_events().empty()) << "bad credentials are not logged as member events";
  EXPECT_TRUE(events_->take_queued().empty());
}

TEST_F(HeartbeatServiceTest, RemovedMemberIsLockedOut) {
  const auto secret = enrolled("web", "lb1");
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", body_).ok());
  ASSERT_TRUE(fleet_->remove_member("web", "lb1", "admin:t").ok());
  const auto reply = service_->handle(secret, "127.0.0.1", body_);
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.error().kind, Errc::unauthorized);
}

TEST_F(HeartbeatServiceTest, BadBodiesAre400WithTheFieldName) {
  const auto secret = enrolled("web", "lb1");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"seq":1})", "agent_version"},
      {R"({"agent_version":"1","seq":1,"haproxy":{"state":"up"}})", "haproxy.state"},
      {R"({"agent_version":"1","seq":1,"load":[1,2]})", "load"},
      {R"({"agent_version":"1","seq":1,"ipv4":[{"address":"999.0.0.1"}]})", "ipv4[0].address"},
  };
  for (const auto& [body, field] : cases) {
    const auto reply = service_->handle(secret, "127.0.0.1", body);
    ASSERT_FALSE(reply.ok()) << body;
    EXPECT_EQ(reply.error().kind, Errc::invalid_argument) << body;
    EXPECT_EQ(reply.error().field, field) << body;
  }
  for (const char* body : {"", "[]", "{\"agent_version\":"}) {
    const auto reply = service_->handle(secret, "127.0.0.1", body);
    ASSERT_FALSE(reply.ok()) << body;
    EXPECT_EQ(reply.error().code, "bad_json") << body;
    EXPECT_EQ(reply.error().kind, Errc::invalid_argument) << body;
  }
  const auto member_id = std::stoll(*crypto::credential_id("bms", secret));
  EXPECT_FALSE(liveness_.get(member_id).has_value()) << "a rejected body is not liveness";
  EXPECT_TRUE(heartbeat_events().empty());
  EXPECT_TRUE(events_->take_queued().empty());
}

TEST_F(HeartbeatServiceTest, EgressRefusalsEventDetailsAndOnlyForThatMember) {
  const auto restricted = add_member("web", "lb2", "10.9.9.9");
  const auto restricted_secret = enrolment_->enrol({restricted.key, "lb2", "t"}, "10.9.9.9")->secret;
  const auto open_secret = enrolled("web", "lb1");
  ASSERT_FALSE(service_->handle(restricted_secret, "10.9.9.8", body_).ok());
  ASSERT_FALSE(service_->handle(restricted_secret, "10.9.9.8", body_).ok());
  EXPECT_TRUE(service_->handle(open_secret, "10.9.9.8", body_).ok()) << "no egress restriction on lb1";
  std::vector<store::EventRecord> refused;
  for (const auto& event : heartbeat_events()) {
    if (event.kind == std::string("heartbeat_refused")) refused.push_back(event);
  }
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].pool, "web");
  EXPECT_EQ(refused[0].member, "lb2");
  EXPECT_EQ(refused[0].actor, "agent:lb2");
  EXPECT_NE(refused[0].message.find("10.9.9.8"), std::string::npos);
  EXPECT_NE(refused[0].message.find("10.9.9.9"), std::string::npos);
  const auto restricted_id = std::stoll(*crypto::credential_id("bms", restricted_secret));
  EXPECT_FALSE(liveness_.get(restricted_id).has_value()) << "a refused heartbeat is not liveness";
}

TEST_F(HeartbeatServiceTest, OnlyTheFirstHeartbeatIsAnOnlineEvent) {
  const auto secret = enrolled("web", "lb1");
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", body_).ok());
  flush();
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", body_).ok());
  flush();
  const auto stored = heartbeat_events();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].kind, "member_online");
  EXPECT_EQ(stored[0].pool, "web");
  EXPECT_EQ(stored[0].member, "lb1");
  EXPECT_EQ(stored[0].actor, "agent:lb1");
  EXPECT_NE(stored[0].message.find("agent 0.1.0"), std::string::npos);
  EXPECT_NE(stored[0].message.find("HAProxy running"), std::string::npos);
}

TEST_F(HeartbeatServiceTest, ComebackAfterBeingMarkedOfflineIsAnOnlineEvent) {
  const auto secret = enrolled("web", "lb1");
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", body_).ok());
  // The persister's round a minute later (pool delay 10 s) marks it offline and says so.
  ASSERT_TRUE(persister_->run_once(time::steady_ms_now() + 60'000).ok());
  ASSERT_FALSE(store_->load_states()->at(0).online);
  ASSERT_TRUE(service_->handle(secret, "127.0.0.1", body_).ok());
  flush();
  const auto stored = heartbeat_events();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].kind, "member_online");
  EXPECT_EQ(stored[1].kind, "member_online");
  EXPECT_NE(stored[1].message.find("resumed"), std::string::npos) << stored[1].message;
  EXPECT_TRUE(store_->load_states()->at(0).online) << "stored with the event";
}

TEST_F(HeartbeatServiceTest, SourceAddressIsNormalisedAndStored) {
  const auto secret = enrolled("web", "lb1");
  ASSERT_TRUE(service_->handle(secret, "::ffff:192.0.2.44", body_).ok());
  const auto member = fleet_->get_member("web", "lb1");
  ASSERT_TRUE(member->liveness);
  EXPECT_EQ(member->liveness->source_ip, "192.0.2.44");
  EXPECT_EQ(member->liveness->agent_version, "0.1.0");
  EXPECT_EQ(member->liveness->haproxy_version, "2.6");
  const auto dirty = liveness_.take_dirty();
  ASSERT_EQ(dirty.size(), 1u);
  ASSERT_TRUE(dirty[0].report_json.has_value()) << "the first report is persisted";
  const auto report = json::parse_object(*dirty[0].report_json);
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->at("seq").as_int64(), 3);
}

TEST(Summarise, TakesTheFiguresListsShow) {
  protocol::Heartbeat hb;
  EXPECT_FALSE(summarise(hb).load1.has_value());
  EXPECT_FALSE(summarise(hb).memory_used_pct.has_value());
  hb.uptime_s = 5;
  hb.load = std::array<double, 3>{1.5, 2, 3};
  hb.cpu_pct = 40;
  hb.memory = protocol::Memory{4000, 1000};
  const auto summary = summarise(hb);
  EXPECT_EQ(summary.uptime_s, 5);
  EXPECT_EQ(summary.load1, 1.5);
  EXPECT_EQ(summary.cpu_pct, 40);
  EXPECT_DOUBLE_EQ(*summary.memory_used_pct, 75.0);
}

}  // namespace
}  // namespace balctl::liveness
