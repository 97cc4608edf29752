// What cPanel's HTTP APIs answer, read by pure functions (STYLE.md habit 5), so the envelope rules are
// tested on fixtures and fuzzed without a server. Two APIs, two envelopes:
//   UAPI over /execute/ (port 2083): flat {"status": 1|0, "errors": [..], "data": ..., ...}. The form
//     wrapped in {"result": {...}} is what the `uapi` command-line tool prints; it is accepted too.
//   WHM API 1 over /json-api/ (port 2087): {"data": {...}, "metadata": {"result": 1|0, "reason": ..}};
//     parse_dns_zone's entries are in data.payload.
// The entries themselves are the same in both: records with base64 owner and data, comment and control
// lines with text_b64, which we skip.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "common/result.hpp"

namespace balctl::dns {

enum class CpanelApi { uapi, whm };

struct CpanelRecord {
  std::int64_t line_index = 0;
  std::string name;  // absolute, lower case, without the trailing dot
  std::string type;  // "A", "NS", ...
  std::int64_t ttl = 0;
  std::vector<std::string> data;  // decoded data_b64
};

struct CpanelZone {
  std::optional<std::uint32_t> serial;  // the SOA's 3rd field; absent when the zone has no SOA line
  std::vector<CpanelRecord> records;
};

// A parse_zone / parse_dns_zone reply. `zone` resolves relative owner names ("lb", "@").
// Errors: dns_notzone with cPanel's own text when it refuses (status 0), dns_error for a reply that is
// not one of the envelopes above or whose SOA serial is not a number.
Result<CpanelZone> parse_zone_reply(std::string_view body, CpanelApi api, std::string_view zone);
// The same over a body ProviderApi already parsed (named apart: a string literal would fit both).
Result<CpanelZone> parse_zone_json(const boost::json::value& body, CpanelApi api, std::string_view zone);

// A mass_edit_zone / mass_edit_dns_zone reply: ok, dns_prerequisite when cPanel refuses the serial we
// sent (re-read and retry), dns_error with cPanel's text otherwise.
Status parse_edit_reply(std::string_view body, CpanelApi api);
Status parse_edit_json(const boost::json::value& body, CpanelApi api);

// cPanel's own explanation from any reply ("errors" or "reason"); empty when it gave none. Bounded and
// one line, so it can go into an error message, an event and a log line as it is.
std::string cpanel_error_text(const boost::json::value& body, CpanelApi api);

}  // namespace balctl::dns
