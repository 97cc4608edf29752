#include <gtest/gtest.h>
#include <sys/stat.h>

#include "common/crypto.hpp"
#include "common/files.hpp"
#include "server/auth/secret_box.hpp"
#include "server/failover/probe_board.hpp"
#include "server/store/store.hpp"
#include "unit/support/temp_dir.hpp"

namespace balctl {
namespace {

TEST(SecretBox, SealsOpensAndDetectsTampering) {
  crypto::init();
  testing::TempDir dir;
  const auto file = dir.path() / "secrets.key";
  auto box = auth::SecretBox::open(file);
  ASSERT_TRUE(box.ok());
  struct stat info {};
  ::stat(file.c_str(), &info);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const auto sealed = box->seal("{\"tsig_secret\":\"hunter2\"}");
  EXPECT_EQ(sealed.find("hunter2"), std::string::npos);
  EXPECT_NE(box->seal("same"), box->seal("same")) << "a fresh nonce each time";
  EXPECT_EQ(*box->unseal(sealed), "{\"tsig_secret\":\"hunter2\"}");
  auto reopened = auth::SecretBox::open(file);
  EXPECT_EQ(*reopened->unseal(sealed), "{\"tsig_secret\":\"hunter2\"}");
  std::string tampered = sealed;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(box->unseal(tampered).ok());
  EXPECT_FALSE(box->unseal("short").ok());
  testing::TempDir other_dir;
  auto other = auth::SecretBox::open(other_dir.path() / "secrets.key");
  EXPECT_EQ(other->unseal(sealed).error().code, "bad_secret");
  ASSERT_TRUE(files::write_atomic(file, "garbage\n", 0600).ok());
  EXPECT_EQ(auth::SecretBox::open(file).error().code, "bad_secrets_key");
}

TEST(ProbePlan, TimeoutFollowsTheDelayWithinBounds) {
  EXPECT_EQ(failover::probe_plan_for(3000).attempt_timeout_ms, 600);
  EXPECT_EQ(failover::probe_plan_for(5000).attempt_timeout_ms, 1000) << "longer than a 600 ms round trip";
  EXPECT_EQ(failover::probe_plan_for(1000).attempt_timeout_ms, 500);
  EXPECT_EQ(failover::probe_plan_for(120'000).attempt_timeout_ms, 2000);
  const auto plan = failover::probe_plan_for(5000);
  EXPECT_GE(plan.attempts, 3) << "several attempts per vote";
  EXPECT_EQ(plan.budget_ms(), (plan.attempts - 1) * plan.spacing_ms + plan.attempt_timeout_ms);
}

TEST(ProbeBoard, HandsTasksOutOnceUntilTheyExpire) {
  failover::ProbeBoard board;
  board.assign({7, 41, "192.0.2.1", {80, 443}, {10, 11}, failover::ProbePlan{700, 4, 200}}, 1000);
  EXPECT_EQ(board.pool_of(41), 7);
  EXPECT_EQ(board.pool_of(42), 0);
  const auto tasks = board.take(10, 1500);
  ASSERT_EQ(tasks.size(), 1u);
  EXPECT_EQ(tasks[0].id, 41);
  EXPECT_EQ(tasks[0].target, "192.0.2.1");
  EXPECT_EQ(tasks[0].ports, (std::vector<int>{80, 443}));
  EXPECT_EQ(tasks[0].timeout_ms, 700) << "the plan's per-attempt timeout";
  EXPECT_TRUE(board.take(10, 1600).empty()) << "handed out once";
  EXPECT_TRUE(board.take(11, 1000 + 6000).empty()) << "expired before member 11 called in";
  EXPECT_TRUE(board.take(12, 1500).empty()) << "member 12 was not asked";
}

class FailoverStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = std::move(*store::open_sqlite_store(dir_.path() / "db"));
    store::PoolRecord pool;
    pool.name = "web";
    pool.hostname = "lb.example.test";
    pool_ = *store_->insert_pool(pool);
    for (const auto* host : {"lb1", "lb2"}) {
      store::MemberRecord member;
      member.pool_id = pool_.id;
      member.hostname = host;
      member.ipv4 = "192.0.2." + std::to_string(1 + members_.size());
      members_.push_back(*store_->insert_member(member, {std::string("k") + host, 0, "h", 1, 2, std::nullopt}));
    }
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  store::PoolRecord pool_;
  std::vector<store::MemberRecord> members_;
};

TEST_F(FailoverStoreTest, CommitRolesSwapsActiveAtomically) {
  ASSERT_TRUE(store_->commit_roles(pool_.id, members_[0].id, std::nullopt, "standby").ok());
  ASSERT_TRUE(store_->commit_roles(pool_.id, members_[1].id, members_[0].id, "maintenance").ok());
  EXPECT_EQ(store_->find_pool("web")->active_member_id, members_[1].id);
  EXPECT_EQ(store_->find_member_by_id(members_[1].id)->role, "active");
  EXPECT_EQ(store_->find_member_by_id(members_[0].id)->role, "maintenance");
  ASSERT_TRUE(store_->set_member_role(members_[0].id, "standby").ok());
  EXPECT_EQ(store_->find_member_by_id(members_[0].id)->role, "standby");
  EXPECT_FALSE(store_->set_member_role(members_[0].id, "boss").ok()) << "the CHECK constraint holds";
}

TEST_F(FailoverStoreTest, PoolFailoverSettingsPersist) {
  auto pool = *store_->find_pool("web");
  EXPECT_EQ(pool.probe_ports, "80,443");
  EXPECT_EQ(pool.settle_s, 10);
  pool.probe_ports = "8443";
  pool.dwell_s = 5;
  pool.dns_sync = true;
  ASSERT_TRUE(store_->update_pool(pool).ok());
  const auto again = *store_->find_pool("web");
  EXPECT_EQ(again.probe_ports, "8443");
  EXPECT_EQ(again.dwell_s, 5);
  EXPECT_TRUE(again.dns_sync);
}

TEST_F(FailoverStoreTest, DnsBindingsFailoverStateAndAlertChannels) {
  EXPECT_FALSE(store_->get_dns_binding(pool_.id)->has_value());
  ASSERT_TRUE(store_->put_dns_binding({pool_.id, "rfc2136", "{}", "sealed", 1}).ok());
  ASSERT_TRUE(store_->put_dns_binding({pool_.id, "powerdns", "{\"a\":1}", "sealed2", 2}).ok());
  EXPECT_EQ((*store_->get_dns_binding(pool_.id))->provider, "powerdns");
  ASSERT_TRUE(store_->delete_dns_binding(pool_.id).ok());
  EXPECT_FALSE(store_->get_dns_binding(pool_.id)->has_value());

  ASSERT_TRUE(store_->save_failover_state({pool_.id, members_[1].id, "HAProxy stopped", "system", 5, "", 0}).ok());
  ASSERT_TRUE(store_->save_failover_state({pool_.id, std::nullopt, "", "", 0, "192.0.2.9", 77}).ok());
  ASSERT_TRUE(store_->save_failover_state({999, std::nullopt, "", "", 0, "x", 1}).ok()) << "unknown pool: skipped";
  const auto states = *store_->load_failover_states();
  ASSERT_EQ(states.size(), 1u);
  EXPECT_FALSE(states[0].pending_target_id.has_value());
  EXPECT_EQ(states[0].published_ipv4, "192.0.2.9");
  EXPECT_EQ(states[0].last_failover_ms, 77);

  ASSERT_TRUE(store_->insert_alert_channel({"ops", "webhook", "{}", "s", 1}).ok());
  EXPECT_EQ(store_->insert_alert_channel({"ops", "webhook", "{}", "s", 1}).error().code, "alert_channel_exists");
  EXPECT_EQ(store_->list_alert_channels()->size(), 1u);
  ASSERT_TRUE(store_->delete_alert_channel("ops").ok());
  EXPECT_EQ(store_->delete_alert_channel("ops").error().code, "alert_channel_not_found");
}

}  // namespace
}  // namespace balctl
