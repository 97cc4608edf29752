// cPanel UAPI: DNS::parse_zone to read the zone (records, line indexes and the SOA serial), then one
// DNS::mass_edit_zone that edits the first A line of the name, removes any other A lines of it, or adds
// one, conditional on the serial we read. A concurrent edit changes the serial; we then read again.
#pragma once

#include "server/dns/api_client.hpp"
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
  struct ARecordLine {
    std::int64_t line_index = 0;
    std::string address;
  };
  struct ParsedZone {
    std::uint32_t serial = 0;
    std::vector<ARecordLine> lines;  // A records of the name asked for
  };
  Result<ParsedZone> parse_zone(const std::string& fqdn);
  Status mass_edit(const std::string& fqdn, const ParsedZone& zone, const std::string& ipv4, std::int64_t ttl);

  CpanelConfig config_;
  ProviderApi api_;
};

}  // namespace balctl::dns
