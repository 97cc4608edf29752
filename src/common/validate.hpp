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

// Identifiers an agent reports about itself are held to a charset at parse time, so they can be shown
// and logged as they are (free text such as HAProxy's proxy names or an error string is escaped instead).

// A version as agents, packages and HAProxy spell it: 1-64 characters of [0-9A-Za-z.+~_-].
bool version_token(std::string_view text);

// A systemd unit name, with or without its type suffix ("haproxy.service", "haproxy"): 1-255 characters
// of [A-Za-z0-9:_.@\\-].
bool unit_name(std::string_view text);

// A credential as crypto::make_credential spells it ("bms.12.<base64url>"): 1-256 characters of
// [A-Za-z0-9._-], so it can be written into a file or a header as it is.
bool credential_text(std::string_view text);

// A lower-case word such as a systemd state or an HAProxy row type: 1-max_length characters of [a-z0-9_-].
bool lower_word(std::string_view text, std::size_t max_length = 64);

}  // namespace balctl::validate
