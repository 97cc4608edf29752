// Realistic heartbeat bodies (about 2 KB): what balctl-agent sends from a Debian VM running HAProxy with
// two frontends and two backends, built with the protocol's own to_json so the bench follows the format.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace balctl::bench {

// body = prefix + decimal seq + suffix, so a heartbeat costs one concatenation per send.
struct BodyTemplate {
  std::string prefix;
  std::string suffix;
  std::string with_seq(std::uint64_t seq) const;
};

BodyTemplate heartbeat_template(std::size_t member, const std::string& hostname);

// The bench's naming of simulated members.
std::string member_hostname(std::size_t member);
std::string member_ipv4(std::size_t member);

}  // namespace balctl::bench
