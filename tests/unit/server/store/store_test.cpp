#include "server/store/store.hpp"

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/store/migrations.hpp"
#include "server/store/sqlite.hpp"
#include "unit/server/store/store_fixture.hpp"

namespace balctl::store {
namespace {

class StoreTest : public testing::StoreFixture {};

TEST_F(StoreTest, FreshDatabaseHasLatestSchema) {
  auto db = Database::open(file());
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*schema_version(*db), latest_schema_version());
}

TEST_F(StoreTest, NewerSchemaIsRefused) {
  store_.reset();
  {
    auto db = Database::open(file());
    ASSERT_TRUE(db->exec("PRAGMA user_version = " + std::to_string(latest_schema_version() + 1)).ok());
  }
  auto opened = open_sqlite_store(file());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().code, "schema_too_new");
}

TEST_F(StoreTest, PoolsCrudAndConflicts) {
  const auto web = pool("web");
  EXPECT_GT(web.id, 0);
  const auto duplicate = store_->insert_pool(web);
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, "pool_exists");
  auto found = store_->find_pool("web");
  ASSERT_TRUE(found.ok());
  found->delay_s = 42;
  found->failback = "preferred";
  ASSERT_TRUE(store_->update_pool(*found).ok());
  EXPECT_EQ(store_->find_pool("web")->delay_s, 42);
  EXPECT_EQ(store_->find_pool("web")->failback, "preferred");
  pool("api");
  EXPECT_EQ(store_->list_pools()->size(), 2u);
  ASSERT_TRUE(store_->delete_pool(web.id).ok());
  EXPECT_EQ(store_->find_pool("web").error().code, "pool_not_found");
}

TEST_F(StoreTest, MembersAreUniquePerPool) {
  const auto web = pool("web");
  const auto api = pool("api");
  member(web.id, "lb1", "k1");
  MemberRecord again;
  again.pool_id = web.id;
  again.hostname = "lb1";
  again.ipv4 = "192.0.2.2";
  const auto duplicate = store_->insert_member(again, {"k2", 0, "h", 1, 2, std::nullopt});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, "member_exists");
  EXPECT_FALSE(store_->find_enrollment_key("k2").ok());  // the whole insert was rolled back
  member(api.id, "lb1", "k3");                           // same name in another pool is fine
  EXPECT_EQ(store_->list_members(web.id)->size(), 1u);
  EXPECT_EQ(store_->list_members(std::nullopt)->size(), 2u);
}

TEST_F(StoreTest, FirstRedeemedMemberBecomesActive) {
  const auto web = pool("web");
  const auto a = member(web.id, "lb-a", "ka");
  const auto b = member(web.id, "lb-b", "kb");
  auto redeemed_b = store_->redeem_enrollment_key("kb", "hash-b", 10);
  ASSERT_TRUE(redeemed_b.ok());
  EXPECT_EQ(redeemed_b->role, "active");
  EXPECT_EQ(redeemed_b->secret_hash, "hash-b");
  auto redeemed_a = store_->redeem_enrollment_key("ka", "hash-a", 11);
  ASSERT_TRUE(redeemed_a.ok());
  EXPECT_EQ(redeemed_a->role, "standby");
  EXPECT_EQ(store_->find_pool("web")->active_member_id, b.id);
  const auto reused = store_->redeem_enrollment_key("ka", "other", 12);
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().code, "enrollment_key_used");
  EXPECT_EQ(store_->find_member_by_id(a.id)->secret_hash, "hash-a");
}

TEST_F(StoreTest, DeletingTheActiveMemberClearsIt) {
  const auto web = pool("web");
  const auto a = member(web.id, "lb-a", "ka");
  ASSERT_TRUE(store_->redeem_enrollment_key("ka", "h", 1).ok());
  ASSERT_TRUE(store_->delete_member(a.id).ok());
  EXPECT_FALSE(store_->find_pool("web")->active_member_id.has_value());
  EXPECT_FALSE(store_->find_enrollment_key("ka").ok());  // keys go with their member
}

TEST_F(StoreTest, ReplaceEnrollmentKeyDropsUnusedOnes) {
  const auto web = pool("web");
  const auto a = member(web.id, "lb-a", "old");
  ASSERT_TRUE(store_->replace_enrollment_key({"new", a.id, "h2", 5, 10, std::nullopt}).ok());
  EXPECT_FALSE(store_->find_enrollment_key("old").ok());
  EXPECT_EQ(store_->find_enrollment_key("new")->key_hash, "h2");
}

TEST_F(StoreTest, Tokens) {
  ASSERT_TRUE(store_->insert_token({"admin", "h1", 1}).ok());
  const auto duplicate = store_->insert_token({"admin", "h2", 2});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.error().code, "token_exists");
  ASSERT_TRUE(store_->insert_token({"ci", "h3", 3}).ok());
  EXPECT_EQ(store_->list_tokens()->size(), 2u);
  ASSERT_TRUE(store_->delete_token("ci").ok());
  EXPECT_EQ(store_->delete_token("ci").error().code, "token_not_found");
}

TEST_F(StoreTest, EventsPageOldestFirstWithFilters) {
  for (int i = 1; i <= 5; ++i) {
    ASSERT_TRUE(
        store_->append_event({0, i, "k", i % 2 == 0 ? "even" : "odd", "", "system", std::to_string(i)}).ok());
  }
  const auto all = *store_->list_events({0, 100, std::nullopt});
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all.front().message, "1");
  const auto newest_two = *store_->list_events({0, 2, std::nullopt});
  ASSERT_EQ(newest_two.size(), 2u);
  EXPECT_EQ(newest_two[0].message, "4");
  EXPECT_EQ(newest_two[1].message, "5");
  const auto after = *store_->list_events({all[2].id, 100, std::nullopt});
  EXPECT_EQ(after.size(), 2u);
  const auto even = *store_->list_events({0, 100, std::string("even")});
  EXPECT_EQ(even.size(), 2u);
}

TEST_F(StoreTest, BatchesPersistStatesKeepReportsAndSkipDeletedMembers) {
  const auto web = pool("web");
  const auto a = member(web.id, "lb-a", "ka");
  const auto b = member(web.id, "lb-b", "kb");
  MemberStateRecord first{a.id, 100, 1, "0.1", "running", "127.0.0.1", true, std::string("{\"r\":1}"), 100};
  ASSERT_TRUE(store_->save_batch({first}, {{0, 1, "member_online", "web", "lb-a", "agent", "x"}}).ok());
  MemberStateRecord second{a.id, 200, 2, "0.2", "stopped", "127.0.0.1", false, std::nullopt, 0};
  MemberStateRecord ghost{999, 200, 1, "", "unknown", "", false, std::nullopt, 0};
  ASSERT_TRUE(store_->delete_member(b.id).ok());
  ASSERT_TRUE(store_->save_batch({second, ghost}, {}).ok());
  reopen();
  const auto states = *store_->load_states();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].last_seen_ms, 200);
  EXPECT_EQ(states[0].seq, 2);
  EXPECT_EQ(states[0].haproxy_state, "stopped");
  EXPECT_FALSE(states[0].online);
  EXPECT_EQ(*store_->load_report(a.id), std::optional<std::string>("{\"r\":1}"));  // kept: batch 2 had none
  EXPECT_EQ(store_->list_events({0, 10, std::nullopt})->size(), 1u);
}

TEST_F(StoreTest, EverythingSurvivesReopening) {
  const auto web = pool("web");
  member(web.id, "lb-a", "ka");
  ASSERT_TRUE(store_->insert_token({"admin", "h", 1}).ok());
  reopen();
  EXPECT_EQ(store_->find_pool("web")->hostname, "web.example.com");
  EXPECT_EQ(store_->find_member(web.id, "lb-a")->ipv4, "192.0.2.1");
  EXPECT_TRUE(store_->find_enrollment_key("ka").ok());
  EXPECT_EQ(store_->list_tokens()->size(), 1u);
  EXPECT_TRUE(store_->flush().ok());
}

TEST_F(StoreTest, ConstraintFailuresOtherThanUniquenessAreNotConflicts) {
  PoolRecord p;
  p.name = "bad";
  p.hostname = "bad.example.com";
  p.delay_s = 500;  // violates CHECK (delay_s BETWEEN 3 AND 120)
  const auto inserted = store_->insert_pool(p);
  ASSERT_FALSE(inserted.ok());
  EXPECT_NE(inserted.error().code, "pool_exists") << "a CHECK failure is not a duplicate name";
  EXPECT_NE(inserted.error().kind, Errc::conflict);
  EXPECT_FALSE(store_->find_pool("bad").ok());
  MemberRecord orphan;
  orphan.pool_id = 12345;  // violates the foreign key
  orphan.hostname = "lb1";
  orphan.ipv4 = "192.0.2.1";
  const auto member = store_->insert_member(orphan, {"k-orphan", 0, "h", 1, 2, std::nullopt});
  ASSERT_FALSE(member.ok());
  EXPECT_NE(member.error().code, "member_exists");
  EXPECT_FALSE(store_->find_enrollment_key("k-orphan").ok());
}

TEST_F(StoreTest, PoolRecordRoundTripsEveryColumn) {
  PoolRecord p;
  p.name = "web";
  p.hostname = "lb.example.com";
  p.preset = "generic";
  p.delay_s = 120;
  p.haproxy_grace_s = 7;
  p.failback = "preferred";
  p.ttl_s = 60;
  p.created_ms = 1'700'000'000'000;
  const auto stored = store_->insert_pool(p);
  ASSERT_TRUE(stored.ok());
  const auto found = store_->find_pool("web");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->id, stored->id);
  EXPECT_EQ(found->hostname, "lb.example.com");
  EXPECT_EQ(found->preset, "generic");
  EXPECT_EQ(found->delay_s, 120);
  EXPECT_EQ(found->haproxy_grace_s, 7);
  EXPECT_EQ(found->failback, "preferred");
  EXPECT_EQ(found->ttl_s, 60);
  EXPECT_FALSE(found->active_member_id.has_value());
  EXPECT_EQ(found->created_ms, 1'700'000'000'000);
  const auto missing = store_->find_pool("nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, Errc::not_found);
}

TEST_F(StoreTest, ListPoolsIsSortedByName) {
  pool("zeta");
  pool("alpha");
  pool("mid");
  const auto pools = *store_->list_pools();
  ASSERT_EQ(pools.size(), 3u);
  EXPECT_EQ(pools[0].name, "alpha");
  EXPECT_EQ(pools[1].name, "mid");
  EXPECT_EQ(pools[2].name, "zeta");
}

TEST_F(StoreTest, UpdatePoolSetsAndClearsTheActiveMember) {
  auto web = pool("web");
  const auto a = member(web.id, "lb-a", "ka");
  web.active_member_id = a.id;
  web.hostname = "new.example.com";
  web.ttl_s = 5;
  ASSERT_TRUE(store_->update_pool(web).ok());
  EXPECT_EQ(store_->find_pool("web")->active_member_id, a.id);
  EXPECT_EQ(store_->find_pool("web")->hostname, "new.example.com");
  EXPECT_EQ(store_->find_pool("web")->ttl_s, 5);
  web.active_member_id.reset();
  ASSERT_TRUE(store_->update_pool(web).ok());
  EXPECT_FALSE(store_->find_pool("web")->active_member_id.has_value());
}

TEST_F(StoreTest, InsertMemberStoresItsKey) {
  const auto web = pool("web");
  MemberRecord m;
  m.pool_id = web.id;
  m.hostname = "lb1.example.com";
  m.ipv4 = "192.0.2.9";
  m.egress_ip = "198.51.100.1";
  m.priority = 7;
  m.created_ms = 42;
  const auto stored = store_->insert_member(m, {"key-1", 0, "key-hash", 42, 86'400'042, std::nullopt});
  ASSERT_TRUE(stored.ok());
  EXPECT_GT(stored->id, 0);
  const auto key = store_->find_enrollment_key("key-1");
  ASSERT_TRUE(key.ok());
  EXPECT_EQ(key->member_id, stored->id) << "the key points at the new member, not at the id passed in";
  EXPECT_EQ(key->key_hash, "key-hash");
  EXPECT_EQ(key->expires_ms, 86'400'042);
  EXPECT_FALSE(key->used_ms.has_value());
  const auto found = store_->find_member(web.id, "lb1.example.com");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(found->role, "standby");
  EXPECT_EQ(found->egress_ip, "198.51.100.1");
  EXPECT_EQ(found->priority, 7);
  EXPECT_FALSE(found->secret_hash.has_value());
  EXPECT_FALSE(found->enrolled_ms.has_value());
  EXPECT_EQ(store_->find_member(web.id, "other").error().code, "member_not_found");
  EXPECT_EQ(store_->find_member_by_id(9999).error().code, "member_not_found");
  const auto unknown_key = store_->find_enrollment_key("nope");
  ASSERT_FALSE(unknown_key.ok());
  EXPECT_EQ(unknown_key.error().code, "invalid_enrollment_key");
  EXPECT_EQ(unknown_key.error().kind, Errc::unauthorized);
}

TEST_F(StoreTest, DuplicateKeyIdRollsTheMemberBack) {
  const auto web = pool("web");
  member(web.id, "lb-a", "same");
  MemberRecord b;
  b.pool_id = web.id;
  b.hostname = "lb-b";
  b.ipv4 = "192.0.2.2";
  EXPECT_FALSE(store_->insert_member(b, {"same", 0, "h", 1, 2, std::nullopt}).ok());
  EXPECT_FALSE(store_->find_member(web.id, "lb-b").ok()) << "member and key are inserted atomically";
}

TEST_F(StoreTest, RedeemRecordsSecretAndTime) {
  const auto web = pool("web");
  const auto a = member(web.id, "lb-a", "ka");
  const auto redeemed = store_->redeem_enrollment_key("ka", "secret-hash", 1234);
  ASSERT_TRUE(redeemed.ok());
  EXPECT_EQ(redeemed->id, a.id);
  const auto stored = store_->find_member_by_id(a.id);
  EXPECT_EQ(stored->role, "active");
  EXPECT_EQ(stored->secret_hash, "secret-hash");
  EXPECT_EQ(stored->enrolled_ms, 1234);
  EXPECT_EQ(store_->find_enrollment_key("ka")->used_ms, 1234);
}

TEST_F(StoreTest, RedeemingAnUnknownKeyIsInvalidNotUsed) {
  pool("web");
  const auto redeemed = store_->redeem_enrollment_key("no-such-key", "h", 1);
  ASSERT_FALSE(redeemed.ok());
  EXPECT_EQ(redeemed.error().code, "invalid_enrollment_key");
  EXPECT_EQ(redeemed.error().kind, Errc::unauthorized) << "the same error find_enrollment_key gives";
}

TEST_F(StoreTest, ReEnrollingTheActiveMemberKeepsItActive) {
  const auto web = pool("web");
  const auto a = member(web.id, "lb-a", "ka");
  const auto b = member(web.id, "lb-b", "kb");
  ASSERT_TRUE(store_->redeem_enrollment_key("ka", "h1", 1).ok());
  ASSERT_TRUE(store_->redeem_enrollment_key("kb", "h2", 2).ok());
  ASSERT_TRUE(store_->replace_enrollment_key({"ka2", a.id, "h", 3, 10, std::nullopt}).ok());
  const auto again = store_->redeem_enrollment_key("ka2", "h3", 4);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->role, "active");
  EXPECT_EQ(store_->find_pool("web")->active_member_id, a.id);
  EXPECT_EQ(store_->find_member_by_id(a.id)->secret_hash, "h3");
  EXPECT_EQ(store_->find_member_by_id(b.id)->role, "standby");
}

TEST_F(StoreTest, DeletingAStandbyKeepsTheActiveMember) {
  const auto web = pool("web");
  const auto a = member(web.id, "lb-a", "ka");
  const auto b = member(web.id, "lb-b", "kb");
  ASSERT_TRUE(store_->redeem_enrollment_key("ka", "h", 1).ok());
  ASSERT_TRUE(store_->redeem_enrollment_key("kb", "h", 1).ok());
  ASSERT_TRUE(store_->delete_member(b.id).ok());
  EXPECT_EQ(store_->find_pool("web")->active_member_id, a.id);
  EXPECT_FALSE(store_->find_member_by_id(b.id).ok());
  ASSERT_TRUE(store_->delete_member(a.id).ok());
  EXPECT_FALSE(store_->find_pool("web")->active_member_id.has_value());
  // After the active member is gone, the next one to enrol becomes active.
  const auto c = member(web.id, "lb-c", "kc");
  EXPECT_EQ(store_->redeem_enrollment_key("kc", "h", 2)->role, "active");
  EXPECT_EQ(store_->find_pool("web")->active_member_id, c.id);
}

TEST_F(StoreTest, DeletingAPoolCascadesToMembersKeysAndState) {
  const auto web = pool("web");
  const auto a = member(web.id, "lb-a", "ka");
  ASSERT_TRUE(store_->save_batch({{a.id, 1, 1, "v", "running", "", true, std::nullopt, 0}}, {}).ok());
  ASSERT_TRUE(store_->delete_pool(web.id).ok());
  EXPECT_TRUE(store_->list_members(std::nullopt)->empty());
  EXPECT_FALSE(store_->find_enrollment_key("ka").ok());
  EXPECT_TRUE(store_->load_states()->empty());
}

TEST_F(StoreTest, ReplaceEnrollmentKeyKeepsUsedKeys) {
  const auto web = pool("web");
  const auto a = member(web.id, "lb-a", "first");
  ASSERT_TRUE(store_->redeem_enrollment_key("first", "h", 1).ok());
  ASSERT_TRUE(store_->replace_enrollment_key({"second", a.id, "h2", 5, 10, std::nullopt}).ok());
  ASSERT_TRUE(store_->replace_enrollment_key({"third", a.id, "h3", 6, 11, std::nullopt}).ok());
  EXPECT_EQ(store_->find_enrollment_key("first")->used_ms, 1) << "used keys stay as a record";
  EXPECT_FALSE(store_->find_enrollment_key("second").ok());
  EXPECT_EQ(store_->find_enrollment_key("third")->member_id, a.id);
  // A redeemed key stays used even after a replacement was issued.
  EXPECT_EQ(store_->redeem_enrollment_key("first", "x", 2).error().code, "enrollment_key_used");
}

TEST_F(StoreTest, TokensAreListedByNameWithTheirHashes) {
  ASSERT_TRUE(store_->insert_token({"zz", "hz", 3}).ok());
  ASSERT_TRUE(store_->insert_token({"aa", "ha", 4}).ok());
  const auto tokens = *store_->list_tokens();
  ASSERT_EQ(tokens.size(), 2u);
  EXPECT_EQ(tokens[0].name, "aa");
  EXPECT_EQ(tokens[0].token_hash, "ha");
  EXPECT_EQ(tokens[0].created_ms, 4);
  EXPECT_EQ(tokens[1].name, "zz");
  const auto missing = store_->delete_token("ghost");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, Errc::not_found);
  EXPECT_EQ(store_->list_tokens()->size(), 2u);
}

TEST_F(StoreTest, EventsKeepEveryFieldAndCombineFilters) {
  std::vector<std::int64_t> ids;
  for (int i = 1; i <= 6; ++i) {
    const auto id = store_->append_event({0, 1000 + i, "kind" + std::to_string(i), i <= 3 ? "web" : "api",
                                          "lb" + std::to_string(i), "admin:t", "m"});
    ASSERT_TRUE(id.ok());
    if (!ids.empty()) EXPECT_GT(*id, ids.back()) << "ids increase";
    ids.push_back(*id);
  }
  const auto first = store_->list_events({0, 1, std::string("web")});
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ(first->at(0).id, ids[2]) << "the newest matching event";
  EXPECT_EQ(first->at(0).at_ms, 1003);
  EXPECT_EQ(first->at(0).kind, "kind3");
  EXPECT_EQ(first->at(0).pool, "web");
  EXPECT_EQ(first->at(0).member, "lb3");
  EXPECT_EQ(first->at(0).actor, "admin:t");
  const auto web_after_first = *store_->list_events({ids[0], 100, std::string("web")});
  ASSERT_EQ(web_after_first.size(), 2u);
  EXPECT_EQ(web_after_first[0].id, ids[1]);
  EXPECT_EQ(web_after_first[1].id, ids[2]);
  EXPECT_TRUE(store_->list_events({ids[5], 100, std::nullopt})->empty());
  EXPECT_TRUE(store_->list_events({0, 100, std::string("none")})->empty());
  const auto api = *store_->list_events({0, 2, std::string("api")});
  ASSERT_EQ(api.size(), 2u);
  EXPECT_EQ(api[0].id, ids[4]);
  EXPECT_EQ(api[1].id, ids[5]);
}

TEST_F(StoreTest, BatchUpdatesReportOnlyWhenGiven) {
  const auto web = pool("web");
  const auto a = member(web.id, "lb-a", "ka");
  EXPECT_EQ(*store_->load_report(a.id), std::nullopt) << "no state row yet";
  ASSERT_TRUE(
      store_->save_batch({{a.id, 100, 1, "v1", "running", "10.0.0.1", true, std::string("r1"), 100}}, {})
          .ok());
  ASSERT_TRUE(
      store_->save_batch({{a.id, 200, 2, "v1", "running", "10.0.0.1", true, std::nullopt, 0}}, {}).ok());
  auto states = *store_->load_states();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].report_ms, 100) << "report time goes with the kept report";
  EXPECT_TRUE(states[0].online);
  EXPECT_EQ(states[0].source_ip, "10.0.0.1");
  EXPECT_EQ(states[0].agent_version, "v1");
  ASSERT_TRUE(
      store_->save_batch({{a.id, 300, 3, "v2", "absent", "10.0.0.2", true, std::string("r3"), 300}}, {})
          .ok());
  EXPECT_EQ(*store_->load_report(a.id), std::optional<std::string>("r3"));
  states = *store_->load_states();
  EXPECT_EQ(states[0].report_ms, 300);
  EXPECT_EQ(states[0].agent_version, "v2");
  EXPECT_TRUE(store_->save_batch({}, {}).ok());
}

TEST_F(StoreTest, EventsAndStatesSurviveReopening) {
  const auto web = pool("web");
  const auto a = member(web.id, "lb-a", "ka");
  ASSERT_TRUE(store_->redeem_enrollment_key("ka", "h", 5).ok());
  ASSERT_TRUE(store_->append_event({0, 1, "pool_created", "web", "", "admin:t", "x"}).ok());
  ASSERT_TRUE(store_
                  ->save_batch({{a.id, 9, 4, "v", "running", "", true, std::string("{}"), 9}},
                               {{0, 2, "member_online", "web", "lb-a", "agent:lb-a", "y"}})
                  .ok());
  reopen();
  const auto events = *store_->list_events({0, 10, std::nullopt});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, "pool_created");
  EXPECT_EQ(events[1].kind, "member_online");
  EXPECT_EQ(store_->find_pool("web")->active_member_id, a.id);
  EXPECT_EQ(store_->find_member_by_id(a.id)->secret_hash, "h");
  EXPECT_EQ(store_->load_states()->at(0).seq, 4);
  EXPECT_EQ(*store_->load_report(a.id), std::optional<std::string>("{}"));
}

TEST_F(StoreTest, StateWithoutReportKeepsTheLastReport) {
  const auto web = pool("web");
  const auto a = member(web.id, "lb-a", "ka");
  ASSERT_TRUE(
      store_->save_batch({{a.id, 5, 1, "v", "running", "", true, std::string("{\"r\":1}"), 5}}, {}).ok());
  ASSERT_TRUE(store_->save_batch({{a.id, 9, 2, "v", "running", "", true, std::nullopt, 9}}, {}).ok());
  EXPECT_EQ(*store_->load_report(a.id), std::optional<std::string>("{\"r\":1}"));
  const auto states = *store_->load_states();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].last_seen_ms, 9);
  EXPECT_EQ(states[0].report_ms, 5);  // when the kept report was taken
}

TEST_F(StoreTest, SchemaThreeMovesReportsOutOfMemberState) {
  store_.reset();
  std::filesystem::remove(file());
  {
    auto db = Database::open(file());
    ASSERT_TRUE(db.ok());
    ASSERT_EQ(*migrate(*db, 2), 2);
    ASSERT_TRUE(db->exec("INSERT INTO pools (id, name, hostname, preset, delay_s, created_ms) "
                         "VALUES (1, 'web', 'www.example.com', 'haproxy', 10, 1)")
                    .ok());
    ASSERT_TRUE(db->exec("INSERT INTO members (id, pool_id, hostname, ipv4, created_ms) "
                         "VALUES (7, 1, 'lb-a', '192.0.2.1', 1)")
                    .ok());
    ASSERT_TRUE(db->exec("INSERT INTO member_state (member_id, last_seen_ms, report_json, report_ms) "
                         "VALUES (7, 50, '{\"old\":true}', 40)")
                    .ok());
  }
  reopen();
  EXPECT_EQ(*store_->load_report(7), std::optional<std::string>("{\"old\":true}"));
  EXPECT_EQ(store_->load_states()->at(0).report_ms, 40);
}

TEST_F(StoreTest, HaproxyVersionIsPartOfTheState) {
  const auto web = pool("web");
  const auto a = member(web.id, "lb-a", "ka");
  store::MemberStateRecord state{a.id, 5, 1, "v", "running", "", true, std::nullopt, 0};
  state.haproxy_version = "2.6.12";
  ASSERT_TRUE(store_->save_batch({state}, {}).ok());  // the first write inserts the row
  reopen();
  EXPECT_EQ(store_->load_states()->at(0).haproxy_version, "2.6.12");
  state.haproxy_version = "2.8.1";
  ASSERT_TRUE(store_->save_batch({state}, {}).ok());  // later ones update it
  EXPECT_EQ(store_->load_states()->at(0).haproxy_version, "2.8.1");
}

TEST_F(StoreTest, OpeningTwiceDoesNotMigrateAgain) {
  store_.reset();
  for (int i = 0; i < 2; ++i) {
    auto opened = open_sqlite_store(file());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
  }
  auto db = Database::open(file());
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*schema_version(*db), latest_schema_version());
}

TEST_F(StoreTest, NotADatabaseIsAnError) {
  store_.reset();
  std::filesystem::remove(file());
  {
    std::ofstream out(file());
    out << std::string(4096, 'x');
  }
  const auto opened = open_sqlite_store(file());
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, Errc::internal);
}

}  // namespace
}  // namespace balctl::store
