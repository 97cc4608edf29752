// Validation of the names and addresses users type. Each returns the normalised form (lower case, no
// trailing dot) or nullopt, so callers store exactly one spelling.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace balctl::validate {

// Strict dotted quad: four decimal octets, no leading zeros, no shorthand ("10.1" is rejected).
std::optional<std::string> ipv4(std::string_view text);

// An IPv4 address DNS may point at: not 0.0.0.0/8, multicast, reserved or broadcast. Loopback is allowed
// because tests and single-host demos use 127.0.0.0/8.
std::optional<std::string> advertised_ipv4(std::string_view text);

// IPv4 or IPv6 in canonical text form; IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes plain IPv4.
std::optional<std::string> ip_address(std::string_view text);

// RFC 1123 host name: labels of [a-z0-9-], 1-63 characters, not starting or ending with '-', 253 total.
std::optional<std::string> hostname(std::string_view text);

// A fully qualified name: a host name with at least two labels and a non-numeric top-level label.
std::optional<std::string> fqdn(std::string_view text);

// Names of pools and tokens: 1-63 characters of [a-z0-9_-], starting with a letter or digit.
std::optional<std::string> object_name(std::string_view text);

}  // namespace balctl::validate
