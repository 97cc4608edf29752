#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/time.hpp"
#include "server/fleet/enrolment_keys.hpp"
#include "server/fleet/specs.hpp"
#include "unit/server/inventory/fleet_fixture.hpp"

namespace balctl::fleet {
namespace {

using testing::FleetFixture;

boost::json::object object(std::string_view text) {
  return *json::parse_object(text);
}

TEST(PoolSpec, DefaultsAndValidation) {
  const auto ok = parse_pool_spec(object(R"({"name":"web","hostname":"LB.Example.com"})"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->hostname, "lb.example.com");
  EXPECT_EQ(ok->preset, "haproxy");
  EXPECT_EQ(ok->delay_s, 10);
  const std::vector<std::pair<const char*, const char*>> bad = {
      {R"({"hostname":"a.example.com"})", "name"},
      {R"({"name":"Web","hostname":"a.example.com"})", "name"},
      {R"({"name":"web"})", "hostname"},
      {R"({"name":"web","hostname":"nodots"})", "hostname"},
      {R"({"name":"web","hostname":"a.example.com","preset":"x"})", "preset"},
      {R"({"name":"web","hostname":"a.example.com","delay_s":2})", "delay_s"},
      {R"({"name":"web","hostname":"a.example.com","delay_s":121})", "delay_s"},
  };
  for (const auto& [text, field] : bad) {
    const auto parsed = parse_pool_spec(object(text));
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().field, field) << text;
    EXPECT_EQ(parsed.error().kind, Errc::invalid_argument);
  }
}

TEST(PoolPatch, NeedsSomethingAndChecksRanges) {
  EXPECT_FALSE(parse_pool_patch(object("{}")).ok());
  EXPECT_TRUE(parse_pool_patch(object(R"({"haproxy_grace_s":0})")).ok());
  EXPECT_EQ(parse_pool_patch(object(R"({"haproxy_grace_s":61})")).error().field, "haproxy_grace_s");
  EXPECT_EQ(parse_pool_patch(object(R"({"failback":"sometimes"})")).error().field, "failback");
  EXPECT_EQ(parse_pool_patch(object(R"({"ttl_s":4})")).error().field, "ttl_s");
}

TEST(MemberSpec, Validation) {
  const auto ok =
      parse_member_spec(object(R"({"hostname":"LB1","ipv4":"192.0.2.1","egress_ip":"::ffff:10.0.0.1"})"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->hostname, "lb1");
  EXPECT_EQ(ok->egress_ip, "10.0.0.1");
  EXPECT_EQ(ok->key_ttl_s, limits::kDefaultKeyTtlS);
  EXPECT_EQ(parse_member_spec(object(R"({"hostname":"lb1","ipv4":"224.1.1.1"})")).error().field, "ipv4");
  EXPECT_EQ(parse_member_spec(object(R"({"hostname":"lb 1","ipv4":"192.0.2.1"})")).error().field, "hostname");
  EXPECT_EQ(
      parse_member_spec(object(R"({"hostname":"lb1","ipv4":"192.0.2.1","egress_ip":"x"})")).error().field,
      "egress_ip");
  EXPECT_EQ(
      parse_member_spec(object(R"({"hostname":"lb1","ipv4":"192.0.2.1","key_ttl_s":59})")).error().field,
      "key_ttl_s");
  EXPECT_TRUE(
      parse_member_spec(object(R"({"hostname":"lb1","ipv4":"192.0.2.1","egress_ip":""})"))->egress_ip ==
      std::nullopt);
}

TEST(Registry, AuthenticatesOnlyEnrolledMembersWithTheRightHash) {
  Registry registry;
  registry.put_pool({1, "web", "web.example.com", "haproxy", 10});
  store::MemberRecord member;
  member.id = 5;
  member.pool_id = 1;
  member.hostname = "lb1";
  registry.put_member(member);
  EXPECT_FALSE(registry.authenticate(5, "").has_value()) << "not enrolled yet";
  member.secret_hash = "abc";
  registry.put_member(member);
  EXPECT_TRUE(registry.authenticate(5, "abc").has_value());
  EXPECT_FALSE(registry.authenticate(5, "abd").has_value());
  EXPECT_FALSE(registry.authenticate(6, "abc").has_value());
  store::PoolRecord pool{1, "web", "web.example.com", "haproxy", 33};
  registry.put_pool(pool);
  EXPECT_EQ(registry.find(5)->pool.delay_s, 33);
  registry.remove_pool(1);
  EXPECT_FALSE(registry.find(5).has_value());
}

class FleetServiceTest : public FleetFixture {};

TEST_F(FleetServiceTest, PoolLifecycleIsAudited) {
  make_pool("web");
  ASSERT_EQ(fleet_->list_pools()->size(), 1u);
  PoolPatch patch;
  patch.delay_s = 5;
  patch.failback = "preferred";
  const auto updated = fleet_->update_pool("web", patch, "admin:ops");
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->delay_s, 5);
  EXPECT_EQ(registry_.pools().at(0).delay_s, 5);
  EXPECT_EQ(fleet_->update_pool("nope", patch, "admin:ops").error().code, "pool_not_found");
  ASSERT_TRUE(fleet_->delete_pool("web", false, "admin:ops").ok());
  const auto events = stored_events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].kind, "pool_created");
  EXPECT_EQ(events[1].kind, "pool_updated");
  EXPECT_EQ(events[1].actor, "admin:ops");
  EXPECT_EQ(events[2].kind, "pool_deleted");
}

TEST_F(FleetServiceTest, LoadRestoresTheHaproxyVersion) {
  make_pool("web");
  const auto secret = enrolled("web", "lb1");
  store::MemberStateRecord state;
  state.member_id = member_id_of(secret);
  state.last_seen_ms = 1'700'000'000'000;
  state.haproxy_state = "running";
  state.haproxy_version = "2.6.12-1";
  state.online = true;
  ASSERT_TRUE(store_->save_batch({state}, {}).ok());
  liveness::LivenessTable restarted;
  inventory::FleetService after_restart(*store_, registry_, restarted, *events_, {"https://cp.example.com:8443", pin_});
  ASSERT_TRUE(after_restart.load().ok());
  const auto member = after_restart.get_member("web", "lb1");
  ASSERT_TRUE(member.ok());
  ASSERT_TRUE(member->liveness);
  EXPECT_EQ(member->liveness->haproxy_version, "2.6.12-1");
  EXPECT_EQ(member->liveness->haproxy, protocol::HaproxyState::running);
}

TEST_F(FleetServiceTest, NonEmptyPoolNeedsForce) {
  make_pool("web");
  add_member("web", "lb1");
  EXPECT_EQ(fleet_->delete_pool("web", false, "t").error().code, "pool_not_empty");
  ASSERT_TRUE(fleet_->delete_pool("web", true, "t").ok());
  EXPECT_TRUE(fleet_->list_pools()->empty());
  EXPECT_TRUE(registry_.pools().empty());
}

TEST_F(FleetServiceTest, AddMemberIssuesAKeyAndInstallCommand) {
  make_pool("web");
  const auto issued = add_member("web", "lb1");
  EXPECT_EQ(issued.key.rfind("bek.", 0), 0u);
  EXPECT_GT(issued.expires_ms, 0);
  for (const std::string& part :
       {issued.key, std::string("lb1"), std::string("https://cp.example.com:8443"),
        std::string("--pinnedpubkey 'sha256//AAAA'"), std::string("--pin 'sha256//AAAA'")}) {
    EXPECT_NE(issued.install_command.find(part), std::string::npos) << part;
  }
  EXPECT_EQ(issued.member.status, liveness::MemberStatus::never_seen);
  EXPECT_FALSE(issued.member.record.enrolled_ms.has_value());
}

TEST_F(FleetServiceTest, InstallCommandWithoutPinTrustsSystemCas) {
  const auto command = install_command("https://cp.example.com/", "", "bek.x.y", "lb1");
  EXPECT_EQ(command.find("pinnedpubkey"), std::string::npos);
  EXPECT_EQ(command.find("-k "), std::string::npos);
  EXPECT_NE(command.find("'https://cp.example.com/api/v1/agent/install.sh'"), std::string::npos);
}

TEST_F(FleetServiceTest, RekeyInvalidatesTheUnusedKey) {
  make_pool("web");
  const auto first = add_member("web", "lb1");
  const auto second = fleet_->rekey_member("web", "lb1", 600, "admin:test");
  ASSERT_TRUE(second.ok());
  EXPECT_NE(second->key, first.key);
  EXPECT_EQ(enrolment_->enrol({first.key, "lb1", "t"}, "127.0.0.1").error().code, "invalid_enrollment_key");
  EXPECT_TRUE(enrolment_->enrol({second->key, "lb1", "t"}, "127.0.0.1").ok());
}

void expect_field_error(const Result<PoolSpec>& parsed, const std::string& field, const std::string& text) {
  ASSERT_FALSE(parsed.ok()) << text;
  EXPECT_EQ(parsed.error().kind, Errc::invalid_argument) << text;
  EXPECT_EQ(parsed.error().field, field) << text;
}

TEST(PoolSpec, WrongTypesAndBoundaries) {
  const std::vector<std::pair<const char*, const char*>> bad = {
      {R"({"name":5,"hostname":"a.example.com"})", "name"},
      {R"({"name":"","hostname":"a.example.com"})", "name"},
      {R"({"name":"-web","hostname":"a.example.com"})", "name"},
      {R"({"name":"web","hostname":5})", "hostname"},
      {R"({"name":"web","hostname":"a.example.123"})", "hostname"},
      {R"({"name":"web","hostname":"a.example.com","preset":5})", "preset"},
      {R"({"name":"web","hostname":"a.example.com","delay_s":"10"})", "delay_s"},
      {R"({"name":"web","hostname":"a.example.com","delay_s":10.5})", "delay_s"},
  };
  for (const auto& [text, field] : bad)
    expect_field_error(parse_pool_spec(object(text)), field, text);
  const auto generic = parse_pool_spec(object(R"({"name":"w_1","hostname":"a.example.com.","preset":"generic",
                                                  "delay_s":3})"));
  ASSERT_TRUE(generic.ok());
  EXPECT_EQ(generic->name, "w_1");
  EXPECT_EQ(generic->hostname, "a.example.com");
  EXPECT_EQ(generic->preset, "generic");
  EXPECT_EQ(generic->delay_s, 3);
  EXPECT_EQ(parse_pool_spec(object(R"({"name":"w","hostname":"a.example.com","delay_s":120})"))->delay_s,
            120);
}

TEST(PoolPatch, EveryInvalidFieldIsNamed) {
  const std::vector<std::pair<const char*, const char*>> bad = {
      {R"({"hostname":"nodots"})", "hostname"},
      {R"({"hostname":7})", "hostname"},
      {R"({"delay_s":2})", "delay_s"},
      {R"({"delay_s":121})", "delay_s"},
      {R"({"haproxy_grace_s":-1})", "haproxy_grace_s"},
      {R"({"failback":true})", "failback"},
      {R"({"ttl_s":86401})", "ttl_s"},
      {R"({"unknown":1})", "body"},
      {"{}", "body"},
  };
  for (const auto& [text, field] : bad) {
    const auto parsed = parse_pool_patch(object(text));
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().kind, Errc::invalid_argument) << text;
    EXPECT_EQ(parsed.error().field, field) << text;
  }
  const auto patch =
      parse_pool_patch(object(R"({"hostname":"New.Example.com","ttl_s":5,"failback":"none"})"));
  ASSERT_TRUE(patch.ok());
  EXPECT_EQ(patch->hostname, "new.example.com");
  EXPECT_EQ(patch->ttl_s, 5);
  EXPECT_EQ(patch->failback, "none");
  EXPECT_FALSE(patch->delay_s.has_value());
  EXPECT_FALSE(patch->haproxy_grace_s.has_value());
}

TEST(MemberSpec, EveryInvalidFieldIsNamed) {
  const std::vector<std::pair<const char*, const char*>> bad = {
      {R"({"ipv4":"192.0.2.1"})", "hostname"},
      {R"({"hostname":"lb1"})", "ipv4"},
      {R"({"hostname":"lb1","ipv4":"192.0.2"})", "ipv4"},
      {R"({"hostname":"lb1","ipv4":"0.1.2.3"})", "ipv4"},
      {R"({"hostname":"lb1","ipv4":"255.255.255.255"})", "ipv4"},
      {R"({"hostname":"lb1","ipv4":"2001:db8::1"})", "ipv4"},
      {R"({"hostname":"lb1","ipv4":192})", "ipv4"},
      {R"({"hostname":"lb_1","ipv4":"192.0.2.1"})", "hostname"},
      {R"({"hostname":"lb1","ipv4":"192.0.2.1","egress_ip":"10.0.0"})", "egress_ip"},
      {R"({"hostname":"lb1","ipv4":"192.0.2.1","priority":-1})", "priority"},
      {R"({"hostname":"lb1","ipv4":"192.0.2.1","priority":1001})", "priority"},
      {R"({"hostname":"lb1","ipv4":"192.0.2.1","key_ttl_s":2592001})", "key_ttl_s"},
  };
  for (const auto& [text, field] : bad) {
    const auto parsed = parse_member_spec(object(text));
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().kind, Errc::invalid_argument) << text;
    EXPECT_EQ(parsed.error().field, field) << text;
  }
  const auto ok = parse_member_spec(object(
      R"({"hostname":"lb1.example.com","ipv4":"127.0.0.2","egress_ip":"2001:DB8::7","priority":0,"key_ttl_s":60})"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->ipv4, "127.0.0.2");
  EXPECT_EQ(ok->egress_ip, "2001:db8::7");
  EXPECT_EQ(ok->priority, 0);
  EXPECT_EQ(ok->key_ttl_s, 60);
}

TEST(PathSegments, PoolNamesAndHostnames) {
  EXPECT_EQ(*parse_pool_name("web-1"), "web-1");
  const auto bad_pool = parse_pool_name("Web");
  ASSERT_FALSE(bad_pool.ok());
  EXPECT_EQ(bad_pool.error().field, "pool");
  EXPECT_EQ(bad_pool.error().kind, Errc::invalid_argument);
  EXPECT_EQ(*parse_member_hostname("LB1.example.com."), "lb1.example.com");
  const auto bad_host = parse_member_hostname(std::string(300, 'x'));
  ASSERT_FALSE(bad_host.ok());
  EXPECT_EQ(bad_host.error().field, "hostname");
  EXPECT_LT(bad_host.error().message.size(), 120u) << "the echoed input is truncated";
}

TEST(InstallCommand, QuotesEveryArgumentForTheShell) {
  const auto command = install_command("https://cp.example.com:8443//", "sha256//k", "bek.a.b", "it's");
  EXPECT_EQ(
      command,
      "curl -fsSL -k --pinnedpubkey 'sha256//k' 'https://cp.example.com:8443/api/v1/agent/install.sh' | sh "
      "-s -- "
      "--api-base 'https://cp.example.com:8443' --key 'bek.a.b' --hostname 'it'\\''s' --pin 'sha256//k'");
}

TEST(EnrollmentKeys, NewKeyHoldsOnlyTheHash) {
  crypto::init();
  const auto key = new_enrollment_key(7, 60, 1000);
  EXPECT_EQ(key.record.member_id, 7);
  EXPECT_EQ(key.record.created_ms, 1000);
  EXPECT_EQ(key.record.expires_ms, 61'000);
  EXPECT_EQ(key.record.key_hash, crypto::hash_secret(key.text));
  EXPECT_EQ(crypto::credential_id("bek", key.text), key.record.id);
  EXPECT_EQ(key.text.find(key.record.key_hash), std::string::npos);
  EXPECT_NE(new_enrollment_key(7, 60, 1000).record.id, key.record.id);
}

TEST(Registry, RemoveMemberAndPoolLookups) {
  Registry registry;
  registry.put_pool({1, "web", "web.example.com", "haproxy", 10});
  registry.put_pool({2, "api", "api.example.com", "generic", 20});
  store::MemberRecord member;
  member.id = 5;
  member.pool_id = 2;
  member.hostname = "lb1";
  member.egress_ip = "10.0.0.1";
  member.secret_hash = "h";
  registry.put_member(member);
  const auto context = registry.authenticate(5, "h");
  ASSERT_TRUE(context);
  EXPECT_EQ(context->pool.name, "api");
  EXPECT_EQ(context->pool.preset, "generic");
  EXPECT_EQ(context->member.hostname, "lb1");
  EXPECT_EQ(context->member.egress_ip, "10.0.0.1");
  EXPECT_EQ(registry.pool(1)->name, "web");
  EXPECT_FALSE(registry.pool(3).has_value());
  EXPECT_EQ(registry.pools().size(), 2u);
  registry.remove_pool(1);
  EXPECT_TRUE(registry.authenticate(5, "h").has_value()) << "removing another pool keeps this member";
  registry.remove_member(5);
  EXPECT_FALSE(registry.authenticate(5, "h").has_value());
  EXPECT_FALSE(registry.find(5).has_value());
}

TEST(Registry, MemberOfAnUnknownPoolCannotAuthenticate) {
  Registry registry;
  store::MemberRecord member;
  member.id = 1;
  member.pool_id = 9;
  member.secret_hash = "h";
  registry.put_member(member);
  EXPECT_FALSE(registry.authenticate(1, "h").has_value());
}

TEST_F(FleetServiceTest, ConflictsAndMissingParents) {
  make_pool("web");
  PoolSpec spec;
  spec.name = "web";
  spec.hostname = "other.example.com";
  const auto duplicate = fleet_->create_pool(spec, "admin:t");
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, "pool_exists");
  EXPECT_EQ(duplicate.error().kind, Errc::conflict);
  add_member("web", "lb1");
  MemberSpec member;
  member.hostname = "lb1";
  member.ipv4 = "192.0.2.11";
  EXPECT_EQ(fleet_->add_member("web", member, "admin:t").error().code, "member_exists");
  EXPECT_EQ(fleet_->add_member("nope", member, "admin:t").error().code, "pool_not_found");
  EXPECT_EQ(fleet_->get_member("web", "lb9").error().code, "member_not_found");
  EXPECT_EQ(fleet_->remove_member("web", "lb9", "admin:t").error().code, "member_not_found");
  EXPECT_EQ(fleet_->rekey_member("web", "lb9", 600, "admin:t").error().code, "member_not_found");
  EXPECT_EQ(fleet_->delete_pool("nope", true, "admin:t").error().code, "pool_not_found");
  EXPECT_EQ(fleet_->get_pool("nope").error().code, "pool_not_found");
}

TEST_F(FleetServiceTest, PoolViewsListMembersAndTheActiveOne) {
  make_pool("web", 5);
  make_pool("api");
  enrolled("web", "lb1");
  add_member("web", "lb2");
  const auto pools = fleet_->list_pools();
  ASSERT_TRUE(pools.ok());
  ASSERT_EQ(pools->size(), 2u);
  EXPECT_EQ(pools->at(0).record.name, "api");
  EXPECT_TRUE(pools->at(0).members.empty());
  const auto& web = pools->at(1);
  EXPECT_EQ(web.record.delay_s, 5);
  EXPECT_EQ(web.active_hostname, "lb1");
  ASSERT_EQ(web.members.size(), 2u);
  EXPECT_EQ(web.members[0].record.role, "active");
  EXPECT_EQ(web.members[1].record.role, "standby");
  EXPECT_FALSE(web.members[1].record.enrolled_ms.has_value());
  EXPECT_EQ(web.members[0].status, liveness::MemberStatus::never_seen);
  EXPECT_FALSE(web.members[0].last_heartbeat_age_ms.has_value());
}

TEST_F(FleetServiceTest, UpdateChangesOnlyWhatThePatchNames) {
  make_pool("web");
  PoolPatch patch;
  patch.hostname = "moved.example.com";
  patch.ttl_s = 120;
  const auto updated = fleet_->update_pool("web", patch, "admin:t");
  ASSERT_TRUE(updated.ok());
  const auto stored = *store_->find_pool("web");
  EXPECT_EQ(stored.hostname, "moved.example.com");
  EXPECT_EQ(stored.ttl_s, 120);
  EXPECT_EQ(stored.delay_s, 10);
  EXPECT_EQ(stored.haproxy_grace_s, 1);
  EXPECT_EQ(stored.failback, "none");
  EXPECT_NE(stored_events().back().message.find("hostname moved.example.com"), std::string::npos);
}

TEST_F(FleetServiceTest, PoolDelayChangeReachesEnrolledMembers) {
  make_pool("web");
  const auto secret = enrolled("web", "lb1");
  const auto member_id = *crypto::credential_id("bms", secret);
  PoolPatch patch;
  patch.delay_s = 30;
  ASSERT_TRUE(fleet_->update_pool("web", patch, "admin:t").ok());
  const auto context = registry_.find(std::stoll(member_id));
  ASSERT_TRUE(context);
  EXPECT_EQ(context->pool.delay_s, 30);
}

TEST_F(FleetServiceTest, ForcedDeleteForgetsMembersEverywhere) {
  make_pool("web");
  const auto secret = enrolled("web", "lb1");
  const auto member_id = member_id_of(secret);
  seen(member_id);
  ASSERT_TRUE(fleet_->delete_pool("web", true, "admin:t").ok());
  EXPECT_FALSE(registry_.authenticate(member_id, crypto::hash_secret(secret)).has_value());
  EXPECT_FALSE(liveness_.get(member_id).has_value());
  EXPECT_TRUE(store_->list_members(std::nullopt)->empty());
  const auto events = stored_events();
  EXPECT_EQ(events.back().kind, "pool_deleted");
  EXPECT_NE(events.back().message.find("1 member(s)"), std::string::npos);
}

TEST_F(FleetServiceTest, RemoveMemberRevokesItsSecret) {
  make_pool("web");
  const auto secret = enrolled("web", "lb1");
  const auto member_id = std::stoll(*crypto::credential_id("bms", secret));
  ASSERT_TRUE(registry_.authenticate(member_id, crypto::hash_secret(secret)).has_value());
  ASSERT_TRUE(fleet_->remove_member("web", "lb1", "admin:ops").ok());
  EXPECT_FALSE(registry_.authenticate(member_id, crypto::hash_secret(secret)).has_value());
  EXPECT_FALSE(store_->find_pool("web")->active_member_id.has_value());
  const auto events = stored_events();
  EXPECT_EQ(events.back().kind, "member_removed");
  EXPECT_EQ(events.back().actor, "admin:ops");
  EXPECT_EQ(events.back().member, "lb1");
}

TEST_F(FleetServiceTest, AddMemberIsAudited) {
  make_pool("web");
  const auto issued = add_member("web", "lb1");
  EXPECT_EQ(issued.pool, "web");
  EXPECT_EQ(issued.member.record.hostname, "lb1");
  EXPECT_EQ(issued.member.record.role, "standby");
  const auto stored_key = store_->find_enrollment_key(*crypto::credential_id("bek", issued.key));
  ASSERT_TRUE(stored_key.ok());
  EXPECT_EQ(stored_key->member_id, issued.member.record.id);
  EXPECT_EQ(stored_key->expires_ms, issued.expires_ms);
  EXPECT_EQ(stored_key->expires_ms - stored_key->created_ms, limits::kDefaultKeyTtlS * 1000);
  const auto events = stored_events();
  EXPECT_EQ(events.back().kind, "member_added");
  EXPECT_EQ(events.back().actor, "admin:test");
  EXPECT_EQ(events.back().message.find(issued.key), std::string::npos)
      << "the key never reaches the event log";
}

TEST_F(FleetServiceTest, RekeyAfterEnrolmentReplacesTheSecret) {
  make_pool("web");
  const auto old_secret = enrolled("web", "lb1");
  const auto member_id = std::stoll(*crypto::credential_id("bms", old_secret));
  const auto rekeyed = fleet_->rekey_member("web", "lb1", 600, "admin:t");
  ASSERT_TRUE(rekeyed.ok());
  EXPECT_NE(rekeyed->install_command.find(rekeyed->key), std::string::npos);
  EXPECT_EQ(stored_events().back().kind, "member_rekeyed");
  EXPECT_TRUE(registry_.authenticate(member_id, crypto::hash_secret(old_secret)).has_value())
      << "a new key alone does not lock the running agent out";
  const auto again = enrolment_->enrol({rekeyed->key, "lb1", "t"}, "127.0.0.1");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->member_id, member_id);
  EXPECT_FALSE(registry_.authenticate(member_id, crypto::hash_secret(old_secret)).has_value());
  EXPECT_TRUE(registry_.authenticate(member_id, crypto::hash_secret(again->secret)).has_value());
  EXPECT_EQ(fleet_->get_member("web", "lb1")->record.role, "active") << "re-enrolling keeps the role";
}

TEST_F(FleetServiceTest, LoadRebuildsMemoryFromTheStore) {
  make_pool("web", 7);
  const auto secret = enrolled("web", "lb1");
  const auto member_id = std::stoll(*crypto::credential_id("bms", secret));
  ASSERT_TRUE(store_
                  ->save_batch({{member_id, time::unix_ms_now() - 2000, 9, "0.1", "running", "127.0.0.1",
                                 true, std::nullopt, 0}},
                               {})
                  .ok());
  // A restarted server: fresh in-memory state over the same database.
  Registry registry;
  liveness::LivenessTable liveness;
  inventory::FleetService restarted(*store_, registry, liveness, *events_, inventory::AgentEndpoint{"https://cp.example.com", ""});
  ASSERT_TRUE(restarted.load().ok());
  const auto context = registry.authenticate(member_id, crypto::hash_secret(secret));
  ASSERT_TRUE(context);
  EXPECT_EQ(context->pool.delay_s, 7);
  const auto entry = liveness.get(member_id);
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->seq, 9);
  EXPECT_TRUE(entry->online);
  const auto view = restarted.get_member("web", "lb1");
  ASSERT_TRUE(view.ok());
  EXPECT_EQ(view->status, liveness::MemberStatus::online);
  ASSERT_TRUE(view->last_heartbeat_age_ms.has_value());
  EXPECT_GE(*view->last_heartbeat_age_ms, 2000);
  EXPECT_LT(*view->last_heartbeat_age_ms, 7000);
}

TEST_F(FleetServiceTest, MemberReportPrefersThePendingOne) {
  make_pool("web");
  const auto secret = enrolled("web", "lb1");
  const auto member_id = std::stoll(*crypto::credential_id("bms", secret));
  EXPECT_EQ(*fleet_->member_report(member_id), std::nullopt);
  ASSERT_TRUE(
      store_->save_batch({{member_id, 1, 1, "v", "running", "", true, std::string("stored"), 1}}, {}).ok());
  EXPECT_EQ(*fleet_->member_report(member_id), std::optional<std::string>("stored"));
  seen(member_id);
  liveness_.attach_report(member_id, "pending");
  EXPECT_EQ(*fleet_->member_report(member_id), std::optional<std::string>("pending"));
}

}  // namespace
}  // namespace balctl::fleet
