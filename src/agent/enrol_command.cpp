#include "agent/enrol_command.hpp"

#include <algorithm>
#include <iostream>

#include "agent/agent_env.hpp"
#include "agent/client/control_plane_client.hpp"
#include "common/files.hpp"
#include "common/validate.hpp"
#include "common/version.hpp"

namespace balctl::agent {
namespace {

constexpr const char* kFetchedCaFile = "ca.pem";

int fail(const std::string& message) {
  std::cerr << "balctl-agent: enrolment failed: " << message << "\n";
  return 1;
}

std::string explain(const Error& error, const std::string& api_base) {
  if (error.code == "unreachable") return "cannot reach " + api_base + ": " + error.message;
  if (error.code == "tls_error") {
    return "TLS failure talking to " + api_base + ": " + error.message +
           " (pass --ca-cert FILE or --pin sha256//... as printed by 'balctl member add')";
  }
  return error.message + " (" + error.code + ")";
}

// A certificate file we are about to trust: PEM armour, printable lines only.
bool looks_like_pem_certificate(const std::string& text) {
  if (text.rfind("-----BEGIN CERTIFICATE-----", 0) != 0) return false;
  if (text.find("-----END CERTIFICATE-----") == std::string::npos) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte == '\n' || byte == '\r' || (byte >= 0x20 && byte < 0x7f);
  });
}

}  // namespace

int run_enrol(const EnrolOptions& options) {
  const auto env_file = options.config_dir / kAgentEnvFile;
  if (std::filesystem::exists(env_file) && !options.force) {
    return fail(env_file.string() + " already exists; this host is enrolled. Re-enrol with --force");
  }
  const auto hostname = validate::hostname(options.hostname);
  if (!hostname) return fail("'" + options.hostname + "' is not a valid host name");
  if (auto problem = api_base_problem(options.api_base)) return fail("--api-base " + *problem);
  AgentConfig config;
  config.api_base = options.api_base;
  while (!config.api_base.empty() && config.api_base.back() == '/') config.api_base.pop_back();
  if (!options.ca_cert.empty()) {
    if (!std::filesystem::exists(options.ca_cert)) return fail("--ca-cert " + options.ca_cert + " does not exist");
    config.ca_cert = std::filesystem::absolute(options.ca_cert).string();
  }
  config.bind_address = options.bind_address;

  ControlPlaneClient client(ClientSettings{config.api_base, config.ca_cert, options.pinned_key, options.insecure,
                                           options.bind_address, std::chrono::milliseconds(15'000), nullptr});
  auto enrolled = client.enrol({options.key, *hostname, kVersion});
  if (!enrolled) return fail(explain(enrolled.error(), config.api_base));

  config.member_id = enrolled->member_id;
  config.member_secret = enrolled->secret;
  config.server_key = enrolled->server_public_key;
  const bool keep_certificate = config.ca_cert.empty() && !options.pinned_key.empty();
  const auto ca_path = std::filesystem::absolute(options.config_dir / kFetchedCaFile);
  if (keep_certificate) config.ca_cert = ca_path.string();
  // Everything is checked before anything is written: a reply that cannot be written as it is leaves the
  // host exactly as it was (parse_enrol_response has refused most such replies already).
  if (auto status = check_agent_config(config); !status) {
    return fail("the control plane's enrol reply cannot be written to agent.env: " + status.error().message);
  }
  if (keep_certificate) {
    // The pin proved this is our server; keep its certificate so later heartbeats verify it normally.
    auto pem = client.fetch_text("/api/v1/agent/ca.pem");
    if (!pem) return fail("enrolled, but could not fetch the server certificate: " + pem.error().message);
    if (!looks_like_pem_certificate(*pem)) return fail("enrolled, but the server certificate is not PEM text");
    if (auto status = files::ensure_directory(options.config_dir, 0700); !status) return fail(status.error().message);
    if (auto status = files::write_atomic(ca_path, *pem, 0644); !status) return fail(status.error().message);
  }
  if (auto status = save_agent_env(options.config_dir, config); !status) return fail(status.error().message);
  std::cout << "Enrolled " << *hostname << " as member " << enrolled->member_id << " of pool " << enrolled->pool
            << " at " << config.api_base << ".\nWrote " << env_file.string() << " (mode 0600)"
            << (config.ca_cert.empty() ? "" : "; trusting " + config.ca_cert) << ".\n"
            << "Start heartbeats with: systemctl enable --now balctl-heartbeat.service\n";
  return 0;
}

}  // namespace balctl::agent
