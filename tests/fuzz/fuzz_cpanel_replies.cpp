// What cPanel (or whoever answers at its URL) sends back to parse_zone / parse_dns_zone and to the mass
// edits, read as UAPI and as WHM API 1. Beyond "no crash" (nor an exception: the reply is data, and a
// strange one must come back as an error value): error messages are one bounded line, because they go
// into events and key=value logs as they are; a serial is only reported with the SOA it came from.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.hpp"
#include "server/dns/cpanel_replies.hpp"

namespace {

bool one_line(const std::string& text) {
  return text.size() < 2048 &&
         std::none_of(text.begin(), text.end(), [](char ch) { return ch == '\n' || ch == '\r'; });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl::dns;
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  for (const auto api : {CpanelApi::uapi, CpanelApi::whm}) {
    const auto zone = parse_zone_reply(body, api, "example.test");
    if (zone) {
      const bool has_soa = std::any_of(zone->records.begin(), zone->records.end(),
                                       [](const CpanelRecord& r) { return r.type == "SOA"; });
      FUZZ_CHECK(zone->serial.has_value() == has_soa);
      for (const auto& record : zone->records)
        FUZZ_CHECK(record.line_index >= 0 && !record.name.empty());
    } else {
      FUZZ_CHECK(one_line(zone.error().message));
    }
    const auto edit = parse_edit_reply(body, api);
    if (!edit) FUZZ_CHECK(one_line(edit.error().message));
  }
  return 0;
}
