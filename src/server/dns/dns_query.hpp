// Direct questions to one authoritative server (no recursion, no cache): the A records of a name and the
// zone's SOA serial. This is how a change is proven: the authority itself answers the new address.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace balctl::dns {

struct AuthoritativeServer {
  std::string address;  // IP address (v4 or v6)
  std::int64_t port = 53;
  std::chrono::milliseconds timeout{1000};
};

// Resolves a host name or IP text to an IP address once (getaddrinfo); errors are dns_unreachable.
Result<std::string> resolve_server_address(const std::string& host);

// Sorted A addresses (empty when the name has none). Errors: dns_timeout / dns_unreachable (no answer),
// dns_notauth (the server answered without authority), dns_servfail, dns_refused.
Result<std::vector<std::string>> query_a(const AuthoritativeServer& server, const std::string& fqdn);
Result<std::uint32_t> query_soa_serial(const AuthoritativeServer& server, const std::string& zone);

// What query_a and query_soa_serial make of the reply's wire bytes, on their own (the fuzz targets feed
// them what a hostile or broken server could send). `where` names the server in errors.
Result<std::vector<std::string>> parse_a_reply(std::string_view wire, const std::string& where,
                                               const std::string& fqdn);
Result<std::uint32_t> parse_soa_reply(std::string_view wire, const std::string& where,
                                      const std::string& zone);

// The rcode's name for messages ("NOTAUTH", "REFUSED", ...).
std::string rcode_name(int rcode);

}  // namespace balctl::dns
