// The PowerDNS Authoritative HTTP API: one PATCH that REPLACEs the A RRset. Verified by asking PowerDNS's
// own DNS service when verify_server is set, else through the API.
#pragma once

#include "server/dns/api_client.hpp"
#include "server/dns/dns_provider.hpp"
#include "server/dns/provider_config.hpp"

namespace balctl::dns {

// What the provider reads from the zone object that GET .../zones/ZONE. answered, on their own (the fuzz
// targets feed them what a hostile or broken API could send): the sorted A addresses of `fqdn` (no dot at
// the end), and the zone's serial when it has one.
Result<std::vector<std::string>> powerdns_a_records(const boost::json::object& zone, const std::string& fqdn);
std::optional<std::uint32_t> powerdns_serial(const boost::json::object& zone);

class PowerDnsProvider final : public DnsProvider {
 public:
  explicit PowerDnsProvider(PowerDnsConfig config);

  std::string kind() const override { return "powerdns"; }
  Status set_a_record(const std::string& fqdn, const std::string& ipv4, std::int64_t ttl) override;
  Result<std::vector<std::string>> get_a_records(const std::string& fqdn) override;
  Result<std::optional<std::uint32_t>> soa_serial() override;
  // Reads the zone through the API (proves the key and the zone) even when records are verified through
  // the DNS service, then answers as get_a_records does.
  Result<std::vector<std::string>> check_binding(const std::string& fqdn) override;
  // Reads through the DNS service cost the API nothing (20 ms polls); reads through the API back off.
  VerifySchedule verify_schedule() const override {
    return config_.verify_server.empty() ? VerifySchedule::api() : VerifySchedule::dns_queries();
  }

 private:
  std::string zone_url() const;
  Result<boost::json::object> zone();

  PowerDnsConfig config_;
  ProviderApi api_;
};

}  // namespace balctl::dns
