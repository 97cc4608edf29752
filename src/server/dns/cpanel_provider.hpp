// cPanel's DNS zone editor, through UAPI (a cPanel account's token, port 2083) or WHM API 1 (a WHM
// token, port 2087, any zone on the server): parse the zone (records, line indexes and the SOA serial),
// then one mass edit that edits the first A line of the name, removes any other A lines of it, or adds
// one, conditional on the serial we read. A concurrent edit changes the serial; we then read again.
#pragma once

#include "server/dns/api_client.hpp"
#include "server/dns/cpanel_replies.hpp"
#include "server/dns/dns_provider.hpp"
#include "server/dns/provider_config.hpp"

namespace balctl::dns {

class CpanelProvider final : public DnsProvider {
 public:
  explicit CpanelProvider(CpanelConfig config);

  std::string kind() const override { return "cpanel"; }
  Status set_a_record(const std::string& fqdn, const std::string& ipv4, std::int64_t ttl) override;
  Result<std::vector<std::string>> get_a_records(const std::string& fqdn) override;
  Result<std::optional<std::uint32_t>> soa_serial() override;

 private:
  Result<CpanelZone> read_zone();
  Status mass_edit(const std::string& fqdn, const CpanelZone& zone, const std::string& ipv4,
                   std::int64_t ttl);
  std::string base() const;  // .../execute/DNS/ or .../json-api/

  CpanelConfig config_;
  ProviderApi api_;
};

}  // namespace balctl::dns
