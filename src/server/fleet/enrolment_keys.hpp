// One-time enrollment keys and the install command printed with them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "server/store/records.hpp"

namespace balctl::fleet {

inline constexpr std::string_view kEnrollmentKeyPrefix = "bek";
inline constexpr std::string_view kMemberSecretPrefix = "bms";

struct NewKey {
  store::EnrollmentKeyRecord record;  // holds only the hash
  std::string text;                   // shown to the operator once
};
NewKey new_enrollment_key(std::int64_t member_id, std::int64_t ttl_s, std::int64_t now_ms);

// The command an operator pastes on the member as root. With a pinned key (self-signed control plane)
// curl checks the server's public key instead of a CA chain, and the installer pins it for the agent.
std::string install_command(std::string_view api_base, std::string_view pinned_key, std::string_view key,
                            std::string_view hostname);

}  // namespace balctl::fleet
