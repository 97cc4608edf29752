#include "agent/agent_env.hpp"

#include <sys/stat.h>

#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/time.hpp"
#include "common/validate.hpp"

namespace balctl::agent {
namespace {

using Setter = std::function<std::optional<std::string>(AgentConfig&, const std::string&)>;

struct Key {
  const char* name;
  bool required;
  // Stores the value; returns an explanation when the value is invalid.
  Setter set;
};

std::optional<std::string> set_url(std::string& target, const std::string& value) {
  if (auto problem = api_base_problem(value)) return problem;
  target = value;
  while (!target.empty() && target.back() == '/') target.pop_back();
  return std::nullopt;
}

std::optional<std::string> set_absolute_path(std::string& target, const std::string& value) {
  if (value.empty() || value.front() != '/') return "must be an absolute path";
  if (value.size() > 4096) return "is longer than 4096 characters";
  target = value;
  return std::nullopt;
}

const std::array<Key, 9>& keys() {
  static const std::array<Key, 9> kKeys = {{
      {"BALCTL_API_BASE", true, [](AgentConfig& c, const std::string& v) { return set_url(c.api_base, v); }},
      {"BALCTL_MEMBER_ID", true,
       [](AgentConfig& c, const std::string& v) -> std::optional<std::string> {
         if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos || v == "0") {
           return "must be a positive integer";
         }
         c.member_id = std::stoll(v);
         return std::nullopt;
       }},
      {"BALCTL_MEMBER_SECRET", true,
       [](AgentConfig& c, const std::string& v) -> std::optional<std::string> {
         if (!validate::credential_text(v) || !crypto::credential_id("bms", v)) {
           return "is not a member secret (expected bms.<id>.<secret>)";
         }
         c.member_secret = v;
         return std::nullopt;
       }},
      {"BALCTL_CA_CERT", false,
       [](AgentConfig& c, const std::string& v) { return v.empty() ? std::nullopt : set_absolute_path(c.ca_cert, v); }},
      {"BALCTL_SERVER_KEY", false,
       [](AgentConfig& c, const std::string& v) -> std::optional<std::string> {
         if (!v.empty()) {
           const auto raw = crypto::from_base64(v);
           if (!raw || raw->size() != 32 || crypto::base64(*raw) != v) {
             return "must be the base64 Ed25519 public key from enrolment";
           }
         }
         c.server_key = v;
         return std::nullopt;
       }},
      {"BALCTL_HAPROXY_SOCKET", false,
       [](AgentConfig& c, const std::string& v) { return set_absolute_path(c.haproxy_socket, v); }},
      {"BALCTL_HAPROXY_UNIT", false,
       [](AgentConfig& c, const std::string& v) -> std::optional<std::string> {
         if (v.size() < 9 || !validate::unit_name(v) || v.substr(v.size() - 8) != ".service") {
           return "must be a systemd service name such as haproxy.service";
         }
         c.haproxy_unit = v;
         return std::nullopt;
       }},
      {"BALCTL_HAPROXY_PIDFILE", false,
       [](AgentConfig& c, const std::string& v) {
         return v.empty() ? std::nullopt : set_absolute_path(c.haproxy_pidfile, v);
       }},
      {"BALCTL_BIND_ADDRESS", false,
       [](AgentConfig& c, const std::string& v) -> std::optional<std::string> {
         if (v.empty()) return std::nullopt;
         const auto address = validate::ip_address(v);
         if (!address) return "must be an IP address of this host";
         c.bind_address = *address;
         return std::nullopt;
       }},
  }};
  return kKeys;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

std::string unquote(std::string_view value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
    value = value.substr(1, value.size() - 2);
  }
  return std::string(value);
}

Error config_error(const std::string& key, const std::string& message) {
  return Error::invalid(key, "agent.env: " + message);
}

// Every value is one line of printable text: a line break would add a key, other control bytes hide
// what the file says from the person reading it.
std::optional<std::string> line_problem(std::string_view value) {
  constexpr std::size_t kMaxValueBytes = 4096;
  if (value.size() > kMaxValueBytes) return "is longer than " + std::to_string(kMaxValueBytes) + " characters";
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '\n' || byte == '\r') return "contains a line break";
    if (byte < 0x20 || byte == 0x7f) return "contains a control character";
  }
  return std::nullopt;
}

// The lines agent.env holds for `config`, in order; render and check share it.
std::vector<std::pair<const char*, std::string>> entries(const AgentConfig& c) {
  std::vector<std::pair<const char*, std::string>> out;
  out.emplace_back("BALCTL_API_BASE", c.api_base);
  out.emplace_back("BALCTL_MEMBER_ID", std::to_string(c.member_id));
  out.emplace_back("BALCTL_MEMBER_SECRET", c.member_secret);
  if (!c.ca_cert.empty()) out.emplace_back("BALCTL_CA_CERT", c.ca_cert);
  if (!c.server_key.empty()) out.emplace_back("BALCTL_SERVER_KEY", c.server_key);
  out.emplace_back("BALCTL_HAPROXY_SOCKET", c.haproxy_socket);
  out.emplace_back("BALCTL_HAPROXY_UNIT", c.haproxy_unit);
  if (!c.haproxy_pidfile.empty()) out.emplace_back("BALCTL_HAPROXY_PIDFILE", c.haproxy_pidfile);
  if (!c.bind_address.empty()) out.emplace_back("BALCTL_BIND_ADDRESS", c.bind_address);
  return out;
}

}  // namespace

std::optional<std::string> api_base_problem(const std::string& value) {
  if (value.rfind("https://", 0) != 0 && value.rfind("http://", 0) != 0) return "must start with https://";
  constexpr std::string_view kExample = "must be a URL such as https://cp.example.com:8443";
  if (value.size() <= 8 || value.size() > 2048 || line_problem(value) ||
      value.find_first_of(" \t\"'") != std::string::npos) {
    return std::string(kExample);
  }
  const auto url = boost::urls::parse_absolute_uri(value);
  if (!url || url->host().empty() || url->has_userinfo() || url->has_query() || url->has_fragment()) {
    return std::string(kExample) + " (a host, an optional port and path; no user, query or fragment)";
  }
  if (url->has_port()) {
    // Checked by hand: Boost.URL 1.81 parses "https://cp:port" as host "cp" with an empty port.
    const std::string_view port = url->encoded_host_and_port().substr(url->encoded_host().size() + 1);
    const bool digits = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == port.npos;
    if (!digits || std::stoi(std::string(port)) < 1 || std::stoi(std::string(port)) > 65535) {
      return "has no valid port (1-65535) after the host";
    }
  }
  return std::nullopt;
}

Result<AgentConfig> parse_agent_env(std::string_view text) {
  AgentConfig config;
  std::array<bool, 9> seen{};
  std::size_t line_number = 0;
  while (!text.empty()) {
    const auto end = std::min(text.find('\n'), text.size());
    const auto line = trim(text.substr(0, end));
    text.remove_prefix(std::min(end + 1, text.size()));
    ++line_number;
    if (line.empty() || line.front() == '#') continue;
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) {
      return config_error("", "line " + std::to_string(line_number) + " is not KEY=VALUE");
    }
    const std::string name(trim(line.substr(0, equals)));
    const std::string value = unquote(trim(line.substr(equals + 1)));
    if (name.rfind("BALCTL_", 0) == 0) {
      if (auto problem = line_problem(value)) {
        return config_error(name, name + " (line " + std::to_string(line_number) + ") " + *problem);
      }
    }
    const auto& table = keys();
    const auto it = std::find_if(table.begin(), table.end(), [&](const Key& key) { return name == key.name; });
    if (it == table.end()) {
      if (name.rfind("BALCTL_", 0) == 0) {
        return config_error(name, "unknown key " + name + " on line " + std::to_string(line_number));
      }
      continue;
    }
    if (auto problem = it->set(config, value)) {
      return config_error(name, name + " (line " + std::to_string(line_number) + ") " + *problem);
    }
    seen[static_cast<std::size_t>(it - table.begin())] = true;
  }
  for (std::size_t i = 0; i < keys().size(); ++i) {
    if (keys()[i].required && !seen[i]) {
      return config_error(keys()[i].name, std::string(keys()[i].name) + " is missing");
    }
  }
  if (crypto::credential_id("bms", config.member_secret) != std::to_string(config.member_id)) {
    return config_error("BALCTL_MEMBER_SECRET", "BALCTL_MEMBER_SECRET does not belong to BALCTL_MEMBER_ID");
  }
  return config;
}

std::string render_agent_env(const AgentConfig& c) {
  std::string out = "# balctl agent configuration, written " + time::rfc3339(time::unix_ms_now()) +
                    ".\n# Holds this member's secret: keep it mode 0600. Re-read on SIGHUP.\n";
  for (const auto& [key, value] : entries(c)) out += std::string(key) + "=" + value + "\n";
  return out;
}

Status check_agent_config(const AgentConfig& config) {
  const auto& table = keys();
  AgentConfig scratch;
  for (const auto& [name, value] : entries(config)) {
    const std::string key(name);
    if (auto problem = line_problem(value)) return config_error(key, key + " " + *problem);
    const auto it = std::find_if(table.begin(), table.end(), [&](const Key& k) { return key == k.name; });
    if (auto problem = it->set(scratch, value)) return config_error(key, key + " " + *problem);
  }
  if (crypto::credential_id("bms", config.member_secret) != std::to_string(config.member_id)) {
    return config_error("BALCTL_MEMBER_SECRET", "BALCTL_MEMBER_SECRET does not belong to BALCTL_MEMBER_ID");
  }
  return {};
}

Result<AgentConfig> load_agent_env(const std::filesystem::path& config_dir) {
  const auto path = config_dir / kAgentEnvFile;
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return Error{Errc::not_found, "not_enrolled",
                 path.string() + " does not exist; enrol first: balctl-agent --enrol --key KEY --hostname H "
                                 "--api-base URL",
                 {}};
  }
  if ((info.st_mode & 077) != 0) {
    return Error::invalid("agent.env", path.string() + " is readable by other users; run: chmod 600 " + path.string());
  }
  auto text = files::read(path, 64 * 1024);
  if (!text) return text.error();
  auto config = parse_agent_env(*text);
  if (!config) return config;
  if (!config->ca_cert.empty() && !std::filesystem::exists(config->ca_cert)) {
    return Error::invalid("BALCTL_CA_CERT", "agent.env: BALCTL_CA_CERT file " + config->ca_cert + " does not exist");
  }
  return config;
}

Status save_agent_env(const std::filesystem::path& config_dir, const AgentConfig& config) {
  if (auto status = check_agent_config(config); !status) return status;
  if (auto status = files::ensure_directory(config_dir, 0700); !status) return status;
  return files::write_atomic(config_dir / kAgentEnvFile, render_agent_env(config), 0600);
}

}  // namespace balctl::agent
