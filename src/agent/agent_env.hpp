// agent.env: the agent's whole configuration (DESIGN.md lists the keys). Written by `--enrol`, read at
// start and on SIGHUP. Every key is declared once in agent_env.cpp with its default and validation, and
// every error names the key and line.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace balctl::agent {

struct AgentConfig {
  std::string api_base;       // BALCTL_API_BASE, e.g. https://cp.example.com:8443
  std::int64_t member_id = 0;  // BALCTL_MEMBER_ID
  std::string member_secret;  // BALCTL_MEMBER_SECRET
  std::string ca_cert;        // BALCTL_CA_CERT: pinned CA or the server's self-signed certificate
  std::string server_key;     // BALCTL_SERVER_KEY: base64 Ed25519 key that signs jobs
  std::string haproxy_socket = "/run/haproxy/admin.sock";  // BALCTL_HAPROXY_SOCKET
  std::string haproxy_unit = "haproxy.service";            // BALCTL_HAPROXY_UNIT
  std::string haproxy_pidfile;                             // BALCTL_HAPROXY_PIDFILE (where systemd is absent)
  std::string bind_address;                                // BALCTL_BIND_ADDRESS: source address
};

inline constexpr const char* kAgentEnvFile = "agent.env";

// Why `value` is not a usable BALCTL_API_BASE, or nullopt when it is.
std::optional<std::string> api_base_problem(const std::string& value);

// Parses KEY=VALUE lines ('#' comments, optional quotes). Unknown BALCTL_* keys are errors (a typo must
// not be silently ignored); other keys are left for systemd and ignored.
Result<AgentConfig> parse_agent_env(std::string_view text);
std::string render_agent_env(const AgentConfig& config);
// Whether `config` can be written as it is: every value one line of printable text within its length cap
// and valid for its key (URL, id, secret, paths, key). The error names the key.
Status check_agent_config(const AgentConfig& config);

// Reads DIR/agent.env, refusing a file that others can read (it holds the member secret).
Result<AgentConfig> load_agent_env(const std::filesystem::path& config_dir);
// Writes DIR/agent.env atomically with mode 0600 in a 0700 directory; refuses (writing nothing) a config
// that check_agent_config() refuses.
Status save_agent_env(const std::filesystem::path& config_dir, const AgentConfig& config);

}  // namespace balctl::agent
