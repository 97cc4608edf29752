// RFC 2136 dynamic update, signed with TSIG (RFC 8945), via ldns. Works with BIND, Knot, PowerDNS and
// Windows DNS. The change is one UPDATE message: prerequisite "the A RRset is exactly what we just read"
// (or "does not exist"), delete the A RRset, add the new A. If someone else changed the record in
// between, the prerequisite fails (NXRRSET) and we read again, so we never overwrite a change we did
// not see.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "server/dns/dns_provider.hpp"
#include "server/dns/provider_config.hpp"

struct ldns_struct_pkt;
struct ldns_struct_resolver;

namespace balctl::dns {

// What the rcode and TSIG error of a reply to our UPDATE say, before its signature is checked: ok, or
// the refusal explained (NOTAUTH with BADKEY/BADSIG/BADTIME, REFUSED, NOTZONE, a failed prerequisite).
// Over the reply's wire bytes for the fuzz targets; send_update uses the same code on the parsed reply.
Status update_reply_status(std::string_view wire, const std::string& where, const std::string& zone);

class Rfc2136Provider final : public DnsProvider {
 public:
  explicit Rfc2136Provider(Rfc2136Config config) : config_(std::move(config)) {}

  std::string kind() const override { return "rfc2136"; }
  Status set_a_record(const std::string& fqdn, const std::string& ipv4, std::int64_t ttl) override;
  Result<std::vector<std::string>> get_a_records(const std::string& fqdn) override;
  Result<std::optional<std::uint32_t>> soa_serial() override;
  // A TSIG-signed SOA query of the zone: a wrong key or secret is refused (NOTAUTH with BADKEY/BADSIG)
  // and a server that is not authoritative for the zone is found, before any failover needs them.
  Result<std::vector<std::string>> check_binding(const std::string& fqdn) override;
  // Verification asks the server with plain DNS queries, which cost it nothing: poll every 20 ms.
  VerifySchedule verify_schedule() const override { return VerifySchedule::dns_queries(); }

 private:
  struct Reply {
    std::vector<std::uint8_t> wire;
    ldns_struct_pkt* packet = nullptr;  // owned by the caller
  };
  Status send_update(const std::string& fqdn, const std::vector<std::string>& current, const std::string& ipv4,
                     std::int64_t ttl);
  // Signs `message` with the binding's TSIG key; the resolver in `owned` carries the key.
  Status sign(ldns_struct_pkt* message, ldns_struct_resolver* owner, bool update) const;
  Result<Reply> exchange(const std::string& address, ldns_struct_pkt* update, const std::string& where);

  Rfc2136Config config_;
};

// Whether `fqdn` is `zone` or below it (both already lower case, no trailing dot).
bool in_zone(const std::string& fqdn, const std::string& zone);

}  // namespace balctl::dns
