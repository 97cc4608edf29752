// The verification poll schedule: API providers back off so that a 10 s verification costs about ten
// reads (Cloudflare allows 1 200 per 5 minutes); plain DNS queries keep polling every 20 ms.
#include "server/dns/verify_schedule.hpp"

#include <gtest/gtest.h>

#include "server/dns/cloudflare_provider.hpp"
#include "server/dns/powerdns_provider.hpp"
#include "server/dns/rfc2136_provider.hpp"

namespace balctl::dns {
namespace {

using std::chrono::milliseconds;

// How many reads a verification that never succeeds makes in `window` (one read at the deadline).
int reads_in(const VerifySchedule& schedule, milliseconds window) {
  int reads = 1;
  milliseconds at{0};
  while (at < window) {
    at = std::min(at + schedule.wait_after(reads), window);
    ++reads;
  }
  return reads;
}

TEST(VerifySchedule, ApiBacksOffFrom100msTo2s) {
  const auto schedule = VerifySchedule::api();
  EXPECT_EQ(schedule.wait_after(1), milliseconds(100));
  EXPECT_EQ(schedule.wait_after(2), milliseconds(200));
  EXPECT_EQ(schedule.wait_after(3), milliseconds(400));
  EXPECT_EQ(schedule.wait_after(5), milliseconds(1600));
  EXPECT_EQ(schedule.wait_after(6), milliseconds(2000));
  EXPECT_EQ(schedule.wait_after(1000), milliseconds(2000)) << "no overflow on long windows";
  EXPECT_LE(reads_in(schedule, milliseconds(10'000)), 10);
}

TEST(VerifySchedule, DnsQueriesKeep20ms) {
  const auto schedule = VerifySchedule::dns_queries();
  EXPECT_EQ(schedule.wait_after(1), milliseconds(20));
  EXPECT_EQ(schedule.wait_after(50), milliseconds(20));
  EXPECT_GT(reads_in(schedule, milliseconds(10'000)), 400);
}

TEST(VerifySchedule, EachProviderPicksItsOwn) {
  const auto api = VerifySchedule::api();
  EXPECT_EQ(CloudflareProvider(CloudflareConfig{}).verify_schedule().first, api.first);
  EXPECT_EQ(Rfc2136Provider(Rfc2136Config{}).verify_schedule().first, milliseconds(20));
  PowerDnsConfig through_api;
  EXPECT_EQ(PowerDnsProvider(through_api).verify_schedule().first, api.first);
  PowerDnsConfig through_dns;
  through_dns.verify_server = "127.0.0.1:5300";
  EXPECT_EQ(PowerDnsProvider(through_dns).verify_schedule().first, milliseconds(20));
}

}  // namespace
}  // namespace balctl::dns
