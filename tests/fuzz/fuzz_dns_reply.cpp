// A DNS reply as an authoritative server (or anyone who can answer from its address) sends it to the
// verification queries of the RFC 2136 and PowerDNS providers (A records of the pool's name, the zone's
// SOA serial) and to an RFC 2136 UPDATE (rcode and TSIG error). The first byte picks which. Beyond "no
// crash": a reply is believed only when it is authoritative, and every address read is an IPv4 address.
#include <cstddef>
#include <cstdint>

#include "common/validate.hpp"
#include "fuzz_check.hpp"
#include "server/dns/dns_query.hpp"
#include "server/dns/rfc2136_provider.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl;
  if (size == 0) return 0;
  const std::string_view wire(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] % 3 == 2) {
    const auto status = dns::update_reply_status(wire, "127.0.0.1:53", "example.com");
    if (!status) FUZZ_CHECK(!status.error().message.empty() && !status.error().code.empty());
    return 0;
  }
  if (data[0] % 3 == 1) {
    const auto serial = dns::parse_soa_reply(wire, "127.0.0.1:53", "example.com");
    if (!serial) FUZZ_CHECK(!serial.error().message.empty());
    return 0;
  }
  const auto addresses = dns::parse_a_reply(wire, "127.0.0.1:53", "www.example.com");
  if (!addresses) {
    FUZZ_CHECK(!addresses.error().message.empty());
    return 0;
  }
  for (const auto& address : *addresses)
    FUZZ_CHECK(validate::ipv4(address).has_value());
  return 0;
}
