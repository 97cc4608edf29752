// The engine owns the record: publishing after a binding, read-backs, drift and repair (engine_record.cpp).
#include "unit/server/failover/engine_fixture.hpp"

namespace balctl::failover {
namespace {

using namespace engine_test;

using Answer = Result<std::vector<std::string>>;

class RecordTest : public EngineTest {
 protected:
  // The record answers the active's address and balctl has published it.
  void published() {
    run_healthy(kStart + 5000);
    Actions out;
    ASSERT_TRUE(engine_->publish(kPool, "admin:ops", now_, out).ok());
    const auto apply = first<ApplyDns>(out);
    ASSERT_TRUE(apply);
    dns_ok(*apply);
  }
  // Ticks (everyone reporting) until the engine asks for a read-back.
  std::optional<CheckRecord> next_check(std::int64_t within_ms) {
    const auto until = now_ + within_ms;
    while (now_ < until) {
      now_ += 500;
      Actions out = hb(kA);
      auto more = engine_->on_tick(now_);
      out.insert(out.end(), more.begin(), more.end());
      if (now_ % 1000 == 0) {
        hb(kB);
        hb(kC);
      }
      if (auto check = first<CheckRecord>(out)) return check;
    }
    return std::nullopt;
  }
};

TEST_F(RecordTest, PublishWritesTheHealthyActivesAddressAndVerifiesIt) {
  run_healthy(kStart + 5000);
  Actions out;
  const auto plan = engine_->publish(kPool, "admin:ops", now_, out);
  ASSERT_TRUE(plan.ok());
  EXPECT_NE(plan->summary.find("publishing 192.0.2.1 (lb-a"), std::string::npos);
  const auto apply = first<ApplyDns>(out);
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->ipv4, "192.0.2.1");
  const auto done = dns_ok(*apply);
  EXPECT_TRUE(has_event(done, "dns_published"));
  const auto status = engine_->status(kPool, now_);
  EXPECT_EQ(status->record, RecordState::matches);
  EXPECT_EQ(status->published_ipv4, "192.0.2.1");
}

TEST_F(RecordTest, NothingIsPublishedForAnActiveThatHasNotReported) {
  Actions out;
  const auto plan = engine_->publish(kPool, "admin:ops", now_, out);
  ASSERT_TRUE(plan.ok());
  EXPECT_NE(plan->summary.find("not publishing now"), std::string::npos);
  EXPECT_FALSE(first<ApplyDns>(out));
}

TEST_F(RecordTest, RecordIsReadBackSoonAfterAStartThenPeriodically) {
  run_healthy(kStart + 1000);
  const auto first_check = next_check(12'000);
  ASSERT_TRUE(first_check) << "the first read-back comes within the first seconds";
  EXPECT_EQ(first_check->fqdn, "lb.example.com");
  engine_->on_record_observed(kPool, first_check->epoch, Answer(std::vector<std::string>{"192.0.2.1"}), now_);
  EXPECT_FALSE(next_check(59'000)) << "then once per check interval";
  EXPECT_TRUE(next_check(2'000));
}

TEST_F(RecordTest, DriftIsReportedAndRepairedToTheActivesAddress) {
  published();
  const auto check = next_check(61'000);
  ASSERT_TRUE(check);
  const auto drifted =
      engine_->on_record_observed(kPool, check->epoch, Answer(std::vector<std::string>{"203.0.113.9"}), now_);
  ASSERT_TRUE(has_event(drifted, "dns_drift"));
  EXPECT_NE(all<RecordEvent>(drifted).front().message.find("answers 203.0.113.9, not 192.0.2.1"), std::string::npos);
  const auto repair = first<ApplyDns>(drifted);
  ASSERT_TRUE(repair) << "repair is on by default";
  EXPECT_EQ(repair->ipv4, "192.0.2.1");
  EXPECT_EQ(engine_->status(kPool, now_)->record, RecordState::mismatch);
  EXPECT_TRUE(has_event(dns_ok(*repair), "dns_repaired"));
  EXPECT_EQ(engine_->status(kPool, now_)->record, RecordState::matches);
}

TEST_F(RecordTest, AFailedRepairIsRetriedWithBackoff) {
  published();
  const auto drifted = engine_->on_record_observed(kPool, 0, Answer(std::vector<std::string>{"203.0.113.9"}), now_);
  const auto repair = first<ApplyDns>(drifted);
  ASSERT_TRUE(repair);
  const auto failed = engine_->on_dns_result(kPool, repair->attempt_id,
                                             Error{Errc::unavailable, "dns_unreachable", "no answer", {}}, now_);
  EXPECT_TRUE(has_event(failed, "dns_repair_failed"));
  EXPECT_FALSE(first<ApplyDns>(step(now_ + 500, {{kA, kUp}})));
  EXPECT_TRUE(first<ApplyDns>(step(now_ + 600, {{kA, kUp}}))) << "after 1 s";
}

TEST_F(RecordTest, WithRepairOffDriftIsOnlyReported) {
  change_pool([](PoolSettings& pool) { pool.dns_repair = false; });
  published();
  const auto drifted = engine_->on_record_observed(kPool, 0, Answer(std::vector<std::string>{"203.0.113.9"}), now_);
  EXPECT_TRUE(has_event(drifted, "dns_drift"));
  EXPECT_FALSE(first<ApplyDns>(drifted));
  EXPECT_FALSE(first<ApplyDns>(run_healthy(now_ + 5000)));
  EXPECT_EQ(engine_->status(kPool, now_)->record, RecordState::mismatch);
  EXPECT_FALSE(has_event(engine_->on_record_observed(kPool, 0, Answer(std::vector<std::string>{"203.0.113.9"}), now_),
                         "dns_drift"))
      << "raised once per mismatch";
}

// A record that balctl did not publish through this binding (bound with --no-publish) is flagged, left
// alone, and re-published by a manual cutover to the active.
TEST_F(RecordTest, AnUnpublishedRecordIsFlaggedAndRepublishedByAManualCutoverToTheActive) {
  run_healthy(kStart + 5000);
  engine_->binding_changed(kPool);
  const auto seen = engine_->on_record_observed(kPool, 0, Answer(std::vector<std::string>{"203.0.113.9"}), now_);
  ASSERT_TRUE(has_event(seen, "dns_drift"));
  EXPECT_NE(all<RecordEvent>(seen).front().message.find("has not published"), std::string::npos);
  EXPECT_FALSE(first<ApplyDns>(seen));
  EXPECT_FALSE(first<ApplyDns>(run_healthy(now_ + 3000)));
  Actions out;
  const auto plan = engine_->request_failover(kPool, kA, false, false, "admin:ops", now_, out);
  ASSERT_TRUE(plan.ok()) << "the active is allowed as a re-publish while the record is wrong";
  EXPECT_NE(plan->summary.find("re-publish 192.0.2.1"), std::string::npos);
  const auto apply = first<ApplyDns>(out);
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->ipv4, "192.0.2.1");
  dns_ok(*apply);
  EXPECT_EQ(engine_->status(kPool, now_)->record, RecordState::matches);
}

TEST_F(RecordTest, AReadBackFromBeforeAChangeIsNotJudged) {
  published();
  const auto check = next_check(61'000);
  ASSERT_TRUE(check);
  const auto failover = first<ApplyDns>(hb(kA, HaproxyState::stopped));
  ASSERT_TRUE(failover);
  dns_ok(*failover);
  const auto stale =
      engine_->on_record_observed(kPool, check->epoch, Answer(std::vector<std::string>{"192.0.2.1"}), now_);
  EXPECT_FALSE(has_event(stale, "dns_drift")) << "read before the failover moved the record";
  EXPECT_FALSE(first<ApplyDns>(stale));
  EXPECT_EQ(engine_->status(kPool, now_)->record, RecordState::matches);
}

TEST_F(RecordTest, AMatchingReadBackCountsAsPublished) {
  run_healthy(kStart + 5000);
  engine_->on_record_observed(kPool, 0, Answer(std::vector<std::string>{"192.0.2.1"}), now_);
  EXPECT_EQ(engine_->status(kPool, now_)->published_ipv4, "192.0.2.1");
  const auto drifted = engine_->on_record_observed(kPool, 0, Answer(std::vector<std::string>{"192.0.2.99"}), now_);
  EXPECT_TRUE(first<ApplyDns>(drifted)) << "from then on drift is repaired";
}

TEST_F(RecordTest, AnActiveChangedWithoutASwitchIsPublished) {
  published();
  // The store made another member active (the first to enrol after the pool lost its active).
  member(kA, "lb-a", "192.0.2.1", "standby", 100);
  member(kB, "lb-b", "192.0.2.2", "active", 100);
  const auto apply = first<ApplyDns>(run_healthy(now_ + 1000));
  ASSERT_TRUE(apply);
  EXPECT_EQ(apply->ipv4, "192.0.2.2");
  EXPECT_TRUE(has_event(dns_ok(*apply), "dns_published"));
}

TEST_F(RecordTest, APublishedAddressIsPersisted) {
  run_healthy(kStart + 5000);
  Actions out;
  ASSERT_TRUE(engine_->publish(kPool, "t", now_, out).ok());
  const auto done = dns_ok(*first<ApplyDns>(out));
  const auto persisted = first<PersistPending>(done);
  ASSERT_TRUE(persisted) << "so that a restart knows what was published (repair after a restart)";
  EXPECT_FALSE(persisted->target_member_id);
}

TEST_F(RecordTest, AFailedReadBackChangesNothing) {
  published();
  const auto out = engine_->on_record_observed(kPool, 0, Answer(Error{Errc::unavailable, "dns_timeout", "slow", {}}),
                                               now_);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(engine_->status(kPool, now_)->record, RecordState::matches);
}

}  // namespace
}  // namespace balctl::failover
