// Uniqueness in the store: one pool per hostname, one member per IPv4 within a pool (migration 5), and
// what that migration does with a database that already breaks it.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "server/store/migrations.hpp"
#include "server/store/sqlite.hpp"
#include "unit/server/store/store_fixture.hpp"

namespace balctl::store {
namespace {

class StoreUniquenessTest : public testing::StoreFixture {};

TEST_F(StoreUniquenessTest, OnePoolPerHostnameAndOneMemberPerAddressInAPool) {
  const auto web = pool("web");
  PoolRecord copy;
  copy.name = "copy";
  copy.hostname = web.hostname;
  const auto refused = store_->insert_pool(copy);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "hostname_in_use");
  EXPECT_EQ(refused.error().field, "hostname");
  EXPECT_EQ(refused.error().kind, Errc::conflict);
  auto api = pool("api");
  api.hostname = web.hostname;
  EXPECT_EQ(store_->update_pool(api).error().code, "hostname_in_use");
  EXPECT_EQ(store_->find_pool("api")->hostname, "api.example.com");
  EXPECT_EQ((*store_->find_pool_by_hostname("web.example.com"))->name, "web");
  EXPECT_FALSE(store_->find_pool_by_hostname("nobody.example.com")->has_value());

  const auto lb1 = member(web.id, "lb1", "k1");
  MemberRecord twin;
  twin.pool_id = web.id;
  twin.hostname = "lb2";
  twin.ipv4 = lb1.ipv4;
  const auto same_address = store_->insert_member(twin, {"k2", 0, "h", 1, 2, std::nullopt});
  ASSERT_FALSE(same_address.ok());
  EXPECT_EQ(same_address.error().code, "ipv4_in_use");
  EXPECT_EQ(same_address.error().field, "ipv4");
  EXPECT_FALSE(store_->find_enrollment_key("k2").ok());
  twin.pool_id = api.id;  // another pool may point at the same load balancer
  EXPECT_TRUE(store_->insert_member(twin, {"k3", 0, "h", 1, 2, std::nullopt}).ok());
}

// A database written before uniqueness was enforced: it opens, the duplicates stay and are named in
// events, new duplicates are refused, and a duplicate that gets a hostname of its own is indexed again.
TEST_F(StoreUniquenessTest, SchemaFiveKeepsExistingDuplicatesAndSaysSo) {
  store_.reset();
  std::filesystem::remove(file());
  {
    auto db = Database::open(file());
    ASSERT_TRUE(db.ok());
    ASSERT_EQ(*migrate(*db, 4), 4);
    ASSERT_TRUE(db->exec("INSERT INTO pools (id, name, hostname, preset, delay_s, created_ms) VALUES "
                         "(1, 'web', 'lb.example.com', 'haproxy', 10, 1), "
                         "(2, 'web2', 'lb.example.com', 'haproxy', 10, 1), "
                         "(3, 'web3', 'lb.example.com', 'haproxy', 10, 1), "
                         "(4, 'api', 'api.example.com', 'haproxy', 10, 1)")
                    .ok());
    ASSERT_TRUE(db->exec("INSERT INTO members (id, pool_id, hostname, ipv4, created_ms) VALUES "
                         "(7, 1, 'lb-a', '192.0.2.1', 1), (8, 1, 'lb-b', '192.0.2.1', 1), "
                         "(9, 4, 'api-a', '192.0.2.1', 1)")
                    .ok());
  }
  reopen();
  EXPECT_EQ(store_->list_pools()->size(), 4u);
  EXPECT_EQ(store_->list_members(1)->size(), 2u);
  std::vector<std::string> notes;
  const auto events = *store_->list_events({0, 10, std::nullopt});
  for (const auto& event : events) {
    notes.push_back(event.kind + " " + event.pool + " " + event.member + ": " + event.message);
    EXPECT_GT(event.at_ms, 1'600'000'000'000);
  }
  ASSERT_EQ(notes.size(), 3u);
  EXPECT_EQ(notes[0],
            "duplicate_hostname web2 : pool manages hostname lb.example.com as pool 'web' does (both created "
            "before balctl refused this): give one of them another hostname or delete it");
  EXPECT_EQ(notes[1].substr(0, notes[1].find(':')), "duplicate_hostname web3 ");
  EXPECT_EQ(notes[2],
            "duplicate_ipv4 web lb-b: member has address 192.0.2.1 as member 'lb-a' of this pool does (both "
            "added before balctl refused this): remove one of them and add it again with its own address");
  PoolRecord fourth;
  fourth.name = "web4";
  fourth.hostname = "lb.example.com";
  EXPECT_EQ(store_->insert_pool(fourth).error().code, "hostname_in_use");
  MemberRecord third;
  third.pool_id = 1;
  third.hostname = "lb-c";
  third.ipv4 = "192.0.2.1";
  EXPECT_EQ(store_->insert_member(third, {"k", 0, "h", 1, 2, std::nullopt}).error().code, "ipv4_in_use");
  auto web2 = *store_->find_pool("web2");
  web2.delay_s = 20;  // other settings of a duplicate still change
  ASSERT_TRUE(store_->update_pool(web2).ok());
  web2.hostname = "lb2.example.com";
  ASSERT_TRUE(store_->update_pool(web2).ok());
  auto web3 = *store_->find_pool("web3");
  web3.hostname = "lb2.example.com";
  EXPECT_EQ(store_->update_pool(web3).error().code, "hostname_in_use") << "web2 is in the index now";
  EXPECT_EQ((*store_->find_pool_by_hostname("lb.example.com"))->name, "web") << "the oldest one";
  reopen();
  EXPECT_EQ(store_->list_events({0, 10, std::nullopt})->size(), 3u) << "said once, by the migration";
}

}  // namespace
}  // namespace balctl::store
