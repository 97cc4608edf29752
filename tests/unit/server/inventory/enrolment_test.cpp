// Enrolment: one-time keys exchanged for member secrets, with every refusal specific.
#include <optional>
#include <string>

#include <gtest/gtest.h>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/time.hpp"
#include "server/fleet/enrolment_keys.hpp"
#include "server/fleet/specs.hpp"
#include "unit/server/inventory/fleet_fixture.hpp"

namespace balctl::fleet {
namespace {

class EnrolmentTest : public testing::FleetFixture {};

TEST_F(EnrolmentTest, SuccessGivesAWorkingSecret) {
  make_pool("web");
  const auto issued = add_member("web", "lb1");
  const auto response = enrolment_->enrol({issued.key, "lb1", "0.1.0"}, "127.0.0.1");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(response->pool, "web");
  EXPECT_EQ(response->interval_ms, 1000);
  EXPECT_EQ(response->server_public_key, "cHVibGlj");
  EXPECT_EQ(response->secret.rfind("bms." + std::to_string(response->member_id) + ".", 0), 0u);
  EXPECT_TRUE(registry_.authenticate(response->member_id, crypto::hash_secret(response->secret)).has_value());
  const auto events = stored_events();
  EXPECT_EQ(events.back().kind, "member_enrolled");
  EXPECT_NE(events.back().message.find("as active"), std::string::npos);
}

TEST_F(EnrolmentTest, RefusalsAreSpecific) {
  make_pool("web");
  const auto issued = add_member("web", "lb1");
  EXPECT_EQ(enrolment_->enrol({"garbage", "lb1", "t"}, "127.0.0.1").error().code, "invalid_enrollment_key");
  EXPECT_EQ(enrolment_->enrol({"bek.unknown.x", "lb1", "t"}, "127.0.0.1").error().code,
            "invalid_enrollment_key");
  EXPECT_EQ(enrolment_->enrol({issued.key + "x", "lb1", "t"}, "127.0.0.1").error().code,
            "invalid_enrollment_key");
  const auto mismatch = enrolment_->enrol({issued.key, "lb2", "t"}, "127.0.0.1");
  EXPECT_EQ(mismatch.error().code, "hostname_mismatch");
  EXPECT_EQ(mismatch.error().kind, Errc::forbidden);
  ASSERT_TRUE(enrolment_->enrol({issued.key, "lb1", "t"}, "127.0.0.1").ok());
  const auto reused = enrolment_->enrol({issued.key, "lb1", "t"}, "127.0.0.1");
  EXPECT_EQ(reused.error().code, "enrollment_key_used");
  EXPECT_EQ(reused.error().kind, Errc::conflict);
}

TEST_F(EnrolmentTest, ExpiredKeyIsRefused) {
  make_pool("web");
  const auto issued = add_member("web", "lb1");
  const auto key_id = *crypto::credential_id("bek", issued.key);
  auto record = *store_->find_enrollment_key(key_id);
  record.expires_ms = 1;
  ASSERT_TRUE(store_->replace_enrollment_key(record).ok());
  const auto expired = enrolment_->enrol({issued.key, "lb1", "t"}, "127.0.0.1");
  EXPECT_EQ(expired.error().code, "enrollment_key_expired");
  EXPECT_EQ(expired.error().kind, Errc::unauthorized);
}

TEST_F(EnrolmentTest, EgressRestrictionAppliesToEnrolment) {
  make_pool("web");
  const auto issued = add_member("web", "lb1", "198.51.100.7");
  EXPECT_EQ(enrolment_->enrol({issued.key, "lb1", "t"}, "127.0.0.1").error().code, "egress_ip_mismatch");
  EXPECT_TRUE(enrolment_->enrol({issued.key, "lb1", "t"}, "::ffff:198.51.100.7").ok());
}

TEST_F(EnrolmentTest, EgressRefusalIsAnEventOncePerMinute) {
  make_pool("web");
  const auto issued = add_member("web", "lb1", "198.51.100.7");
  for (int attempt = 0; attempt < 3; ++attempt) {  // an installer retrying from the wrong address
    const auto refused = enrolment_->enrol({issued.key, "lb1", "t"}, "::ffff:203.0.113.5");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, "egress_ip_mismatch");
    EXPECT_EQ(refused.error().message,
              "enrolment from 203.0.113.5 refused: member only allowed from 198.51.100.7");
  }
  std::vector<store::EventRecord> refusals;
  for (const auto& event : stored_events()) {
    if (event.kind == "enrolment_refused") refusals.push_back(event);
  }
  ASSERT_EQ(refusals.size(), 1u);
  EXPECT_EQ(refusals[0].pool, "web");
  EXPECT_EQ(refusals[0].member, "lb1");
  EXPECT_EQ(refusals[0].actor, "agent:lb1");
  EXPECT_EQ(refusals[0].message, "enrolment from 203.0.113.5 refused: member only allowed from 198.51.100.7");
  EXPECT_FALSE(store_->find_member_by_id(issued.member.record.id)->enrolled_ms.has_value())
      << "key not spent";
}

TEST_F(EnrolmentTest, SecondMemberIsStandby) {
  make_pool("web");
  enrolled("web", "lb1");
  const auto issued = add_member("web", "lb2");
  const auto response = enrolment_->enrol({issued.key, "lb2", "t"}, "127.0.0.1");
  ASSERT_TRUE(response.ok());
  EXPECT_EQ(fleet_->get_member("web", "lb2")->record.role, "standby");
  EXPECT_EQ(fleet_->get_pool("web")->active_hostname, "lb1");
}

TEST_F(EnrolmentTest, MalformedKeysAreInvalid) {
  make_pool("web");
  const auto issued = add_member("web", "lb1");
  const auto key_id = *crypto::credential_id("bek", issued.key);
  for (const std::string& key :
       {std::string(), std::string("bek"), std::string("bek."), "bek." + key_id, "bek." + key_id + ".",
        "bms." + key_id + ".x", "BEK." + key_id + ".x", std::string(300, 'b')}) {
    const auto result = enrolment_->enrol({key, "lb1", "t"}, "127.0.0.1");
    ASSERT_FALSE(result.ok()) << key;
    EXPECT_EQ(result.error().code, "invalid_enrollment_key") << key;
    EXPECT_EQ(result.error().kind, Errc::unauthorized) << key;
  }
  EXPECT_TRUE(enrolment_->enrol({issued.key, "lb1", "t"}, "127.0.0.1").ok())
      << "failed attempts do not burn the key";
}

TEST_F(EnrolmentTest, ExpiredKeyIsRefusedEvenWithTheRightHash) {
  make_pool("web");
  const auto issued = add_member("web", "lb1");
  const auto key_id = *crypto::credential_id("bek", issued.key);
  const auto member_id = store_->find_enrollment_key(key_id)->member_id;
  const auto now = time::unix_ms_now();
  ASSERT_TRUE(store_
                  ->replace_enrollment_key({key_id, member_id, crypto::hash_secret(issued.key), now - 120'000,
                                            now - 1, std::nullopt})
                  .ok());
  const auto expired = enrolment_->enrol({issued.key, "lb1", "t"}, "127.0.0.1");
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, "enrollment_key_expired");
  EXPECT_NE(expired.error().message.find("rekey"), std::string::npos);
  EXPECT_FALSE(store_->find_member_by_id(member_id)->secret_hash.has_value());
  EXPECT_FALSE(store_->find_enrollment_key(key_id)->used_ms.has_value());
}

TEST_F(EnrolmentTest, EnrolmentIsRecordedWithPoolAndMember) {
  make_pool("web");
  const auto issued = add_member("web", "lb1");
  const auto response = enrolment_->enrol({issued.key, "lb1", "9.9.9"}, "10.1.2.3");
  ASSERT_TRUE(response.ok());
  const auto events = stored_events();
  const auto& enrolled_event = events.back();
  EXPECT_EQ(enrolled_event.kind, "member_enrolled");
  EXPECT_EQ(enrolled_event.pool, "web");
  EXPECT_EQ(enrolled_event.member, "lb1");
  EXPECT_EQ(enrolled_event.actor, "agent:lb1");
  EXPECT_NE(enrolled_event.message.find("10.1.2.3"), std::string::npos);
  EXPECT_NE(enrolled_event.message.find("9.9.9"), std::string::npos);
  EXPECT_EQ(enrolled_event.message.find(response->secret), std::string::npos);
  const auto member = store_->find_member_by_id(response->member_id);
  EXPECT_EQ(member->secret_hash, crypto::hash_secret(response->secret)) << "only the hash is stored";
  EXPECT_TRUE(member->enrolled_ms.has_value());
}

TEST_F(EnrolmentTest, ReEnrolmentStartsLivenessAfresh) {
  make_pool("web");
  const auto secret = enrolled("web", "lb1");
  const auto member_id = member_id_of(secret);
  seen(member_id);
  const auto rekeyed = fleet_->rekey_member("web", "lb1", 600, "admin:t");
  ASSERT_TRUE(enrolment_->enrol({rekeyed->key, "lb1", "t"}, "127.0.0.1").ok());
  EXPECT_FALSE(liveness_.get(member_id).has_value());
}

}  // namespace
}  // namespace balctl::fleet
