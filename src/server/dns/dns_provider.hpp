// One interface for every way balctl can change a pool's A record (DESIGN.md "DNS providers"):
// RFC 2136 dynamic update, the PowerDNS HTTP API, Cloudflare API v4 and cPanel UAPI.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.hpp"
#include "server/dns/verify_schedule.hpp"

namespace balctl::dns {

// Error codes providers return, so the failover engine can tell "retry" from "fix your config":
//   dns_unreachable, dns_timeout, dns_servfail (retry later: Errc::unavailable)
//   dns_refused, dns_notauth, dns_notzone, dns_auth (configuration: Errc::forbidden / not_found)
//   dns_prerequisite (someone else changed the record meanwhile: re-read and retry)
//   dns_rate_limited (Errc::unavailable, retry after a pause)
class DnsProvider {
 public:
  virtual ~DnsProvider() = default;

  virtual std::string kind() const = 0;
  // Makes `fqdn`'s A RRset exactly {ipv4} with the given TTL.
  virtual Status set_a_record(const std::string& fqdn, const std::string& ipv4, std::int64_t ttl) = 0;
  // The A addresses the authority currently publishes for `fqdn` (sorted; empty when there are none).
  virtual Result<std::vector<std::string>> get_a_records(const std::string& fqdn) = 0;
  // The zone's SOA serial where the provider has one; proves that a change was published.
  virtual Result<std::optional<std::uint32_t>> soa_serial() { return std::optional<std::uint32_t>{}; }
  // Proves a new binding works before it is stored (credentials, zone, server) and returns what `fqdn`
  // answers now. For API providers a read of the record does both; RFC 2136 also proves its TSIG key.
  virtual Result<std::vector<std::string>> check_binding(const std::string& fqdn) { return get_a_records(fqdn); }
  // How often get_a_records may be called while a change is verified: API reads back off (the default),
  // providers that verify with plain DNS queries override it.
  virtual VerifySchedule verify_schedule() const { return VerifySchedule::api(); }
};

}  // namespace balctl::dns
