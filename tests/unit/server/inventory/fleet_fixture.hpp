// A real SQLite store in a temp dir with the in-memory pieces the fleet services use.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "common/crypto.hpp"
#include "server/events/event_log.hpp"
#include "server/inventory/enrolment.hpp"
#include "server/inventory/fleet_service.hpp"
#include "server/fleet/registry.hpp"
#include "server/liveness/liveness_table.hpp"
#include "server/store/store.hpp"
#include "unit/support/temp_dir.hpp"
#include "unit/server/store/test_store.hpp"

namespace balctl::testing {

class FleetFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    store_ = open_test_store(dir_.path() / "balctl.db");
    events_ = std::make_unique<events::EventLog>(*store_);
    fleet_ = std::make_unique<inventory::FleetService>(*store_, registry_, liveness_, *events_,
                                                   inventory::AgentEndpoint{"https://cp.example.com:8443", pin_});
    enrolment_ = std::make_unique<inventory::EnrolmentService>(*store_, registry_, liveness_, *events_,
                                                           inventory::EnrolmentSettings{1000, "cHVibGlj"});
  }

  store::PoolRecord make_pool(const std::string& name, std::int64_t delay_s = 10) {
    fleet::PoolSpec spec;
    spec.name = name;
    spec.hostname = name + ".example.com";
    spec.delay_s = delay_s;
    auto pool = fleet_->create_pool(spec, "admin:test");
    EXPECT_TRUE(pool.ok());
    return *pool;
  }

  inventory::IssuedKey add_member(const std::string& pool, const std::string& host,
                              std::optional<std::string> egress = std::nullopt) {
    fleet::MemberSpec spec;
    spec.hostname = host;
    spec.ipv4 = "192.0.2." + std::to_string(10 + next_address_++);  // members of a pool need their own
    spec.egress_ip = std::move(egress);
    auto issued = fleet_->add_member(pool, spec, "admin:test");
    EXPECT_TRUE(issued.ok()) << (issued.ok() ? "" : issued.error().message);
    return *issued;
  }

  // Adds and enrols a member; returns its secret.
  std::string enrolled(const std::string& pool, const std::string& host) {
    const auto issued = add_member(pool, host);
    auto response = enrolment_->enrol({issued.key, host, "test"}, "127.0.0.1");
    EXPECT_TRUE(response.ok()) << (response.ok() ? "" : response.error().message);
    return response->secret;
  }

  static std::int64_t member_id_of(const std::string& secret) {
    return std::stoll(*crypto::credential_id("bms", secret));
  }

  // Records one heartbeat observation for the member, as the heartbeat service would.
  void seen(std::int64_t member_id) {
    liveness::Observation o;
    o.member_id = member_id;
    o.steady_ms = 1;
    o.wall_ms = 1;
    liveness_.record(o);
  }

  std::vector<store::EventRecord> stored_events() { return *store_->list_events({0, 1000, std::nullopt}); }

  std::string pin_ = "sha256//AAAA";
  int next_address_ = 0;
  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<events::EventLog> events_;
  fleet::Registry registry_;
  liveness::LivenessTable liveness_;
  std::unique_ptr<inventory::FleetService> fleet_;
  std::unique_ptr<inventory::EnrolmentService> enrolment_;
};

}  // namespace balctl::testing
