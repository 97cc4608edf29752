// What a member downloads while installing: the installer script, the systemd unit (both compiled into
// this binary from packaging/) and the agent binary (read from disk when asked for).
#pragma once

#include <filesystem>
#include <string_view>

namespace balctl::api {

std::string_view install_script();
std::string_view heartbeat_unit();

// Where the agent binary is looked for when --agent-binary is not given: next to this executable.
std::filesystem::path default_agent_binary();

}  // namespace balctl::api
