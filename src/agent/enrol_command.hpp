// `balctl-agent --enrol`: exchanges a one-time key for this member's secret and writes agent.env.
#pragma once

#include <filesystem>
#include <string>

namespace balctl::agent {

struct EnrolOptions {
  std::string key;
  std::string hostname;
  std::string api_base;
  std::filesystem::path config_dir = "/etc/balctl";
  std::string ca_cert;     // trust this CA / self-signed certificate
  std::string pinned_key;  // or trust exactly this server key ("sha256//..."), then keep its certificate
  bool insecure = false;
  bool force = false;
  std::string bind_address;
};

// Prints what it did; returns 0 on success, 1 on failure (one clear line on stderr, nothing written).
int run_enrol(const EnrolOptions& options);

}  // namespace balctl::agent
