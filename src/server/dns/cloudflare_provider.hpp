// Cloudflare API v4 DNS records: read every A record of the name (all pages), then make it exactly one
// record with the new address: keep a record that already holds it, else PATCH one (PATCH keeps its
// comment and tags, which PUT would drop), create one when there is none, and delete the rest.
// Cloudflare only accepts a TTL of 1 ("automatic") or 60 s and more (30 s on Enterprise zones), and a
// proxied record must use 1: the TTL is adjusted accordingly. A 429 with Retry-After up to 60 s is
// waited out; reads while a change is verified back off (dns_provider.hpp) to stay far from the limit
// of 1 200 requests per 5 minutes.
#pragma once

#include "server/dns/api_client.hpp"
#include "server/dns/cloudflare_replies.hpp"
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

  // Pages read at most per listing (100 records each): a name with more A records is refused.
  static constexpr int kMaxPages = 50;

 private:
  Result<std::vector<cloudflare::Record>> records(const std::string& fqdn);
  std::string records_url() const;

  CloudflareConfig config_;
  ProviderApi api_;
};

}  // namespace balctl::dns
