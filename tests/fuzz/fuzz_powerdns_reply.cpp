// What the PowerDNS API (or whoever answers at its URL) sends back for GET .../zones/ZONE.: the zone
// object whose rrsets and serial the provider reads. Beyond "no crash" (nor an exception: the reply is
// data, and a strange one must come back as an error value): every address read is the content of an A
// record of the name asked for.
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include <boost/json/parse.hpp>

#include "fuzz_check.hpp"
#include "server/dns/powerdns_provider.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl;
  boost::system::error_code ec;
  const auto body = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec || !body.is_object()) return 0;
  const auto& zone = body.as_object();
  const auto addresses = dns::powerdns_a_records(zone, "www.example.com");
  if (addresses) FUZZ_CHECK(std::is_sorted(addresses->begin(), addresses->end()));
  (void)dns::powerdns_serial(zone);
  return 0;
}
