// One pool per hostname, one member per IPv4 within a pool: refused by the fleet service with a 409 that
// names the pool or member already holding it.
#include <string>

#include <gtest/gtest.h>

#include "unit/server/inventory/fleet_fixture.hpp"

namespace balctl::fleet {
namespace {

using testing::FleetFixture;

class FleetUniquenessTest : public FleetFixture {};

TEST_F(FleetUniquenessTest, AHostnameBelongsToOnePool) {
  make_pool("web");  // web.example.com
  make_pool("api");
  PoolSpec spec;
  spec.name = "shop";
  spec.hostname = "web.example.com";
  const auto created = fleet_->create_pool(spec, "admin:t");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, Errc::conflict);
  EXPECT_EQ(created.error().code, "hostname_in_use");
  EXPECT_EQ(created.error().field, "hostname");
  EXPECT_EQ(
      created.error().message,
      "hostname web.example.com is already managed by pool 'web'; a hostname can belong to one pool only");
  EXPECT_FALSE(fleet_->get_pool("shop").ok());
  PoolPatch patch;
  patch.hostname = "web.example.com";
  const auto moved = fleet_->update_pool("api", patch, "admin:t");
  ASSERT_FALSE(moved.ok());
  EXPECT_EQ(moved.error().code, "hostname_in_use");
  EXPECT_NE(moved.error().message.find("pool 'web'"), std::string::npos);
  EXPECT_EQ(fleet_->get_pool("api")->record.hostname, "api.example.com");
  EXPECT_TRUE(fleet_->update_pool("web", patch, "admin:t").ok()) << "a pool's own hostname is not a conflict";
  patch.hostname = "new.example.com";
  EXPECT_TRUE(fleet_->update_pool("api", patch, "admin:t").ok());
  spec.hostname = "api.example.com";  // freed by the change
  EXPECT_TRUE(fleet_->create_pool(spec, "admin:t").ok());
}

TEST_F(FleetUniquenessTest, MembersOfAPoolHaveTheirOwnAddresses) {
  make_pool("web");
  make_pool("api");
  const auto lb1 = add_member("web", "lb1");
  MemberSpec spec;
  spec.hostname = "lb2";
  spec.ipv4 = lb1.member.record.ipv4;
  const auto refused = fleet_->add_member("web", spec, "admin:t");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Errc::conflict);
  EXPECT_EQ(refused.error().code, "ipv4_in_use");
  EXPECT_EQ(refused.error().field, "ipv4");
  EXPECT_EQ(refused.error().message,
            "address " + spec.ipv4 +
                " is already used by member 'lb1' of pool 'web'; each member of a pool "
                "needs its own address");
  EXPECT_FALSE(fleet_->get_member("web", "lb2").ok());
  spec.hostname = "lb1";
  EXPECT_EQ(fleet_->add_member("web", spec, "admin:t").error().code, "member_exists")
      << "the name comes first";
  // One HAProxy serving two hostnames: members of different pools may share an address.
  spec.hostname = "api1";
  EXPECT_TRUE(fleet_->add_member("api", spec, "admin:t").ok());
}

}  // namespace
}  // namespace balctl::fleet
