// Cloudflare API v4 DNS records: read the A records of the name, update the first (PUT), create one
// when there is none (POST) and delete any extras, so the RRset becomes exactly the new address.
// Cloudflare only accepts a TTL of 1 ("automatic") or 60 s and more (30 s on Enterprise zones), and a
// proxied record must use 1: the TTL is adjusted accordingly.
#pragma once

#include "server/dns/api_client.hpp"
#include "server/dns/dns_provider.hpp"
#include "server/dns/provider_config.hpp"

namespace balctl::dns {

class CloudflareProvider final : public DnsProvider {
 public:
  explicit CloudflareProvider(CloudflareConfig config);

  std::string kind() const override { return "cloudflare"; }
  Status set_a_record(const std::string& fqdn, const std::string& ipv4, std::int64_t ttl) override;
  Result<std::vector<std::string>> get_a_records(const std::string& fqdn) override;

  // The TTL sent to Cloudflare for a requested TTL.
  static std::int64_t cloudflare_ttl(std::int64_t ttl, bool proxied);

 private:
  struct Record {
    std::string id;
    std::string content;
  };
  Result<std::vector<Record>> records(const std::string& fqdn);
  std::string records_url() const;

  CloudflareConfig config_;
  ProviderApi api_;
};

}  // namespace balctl::dns
