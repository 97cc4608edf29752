// Every setting of `balctl serve`, declared once with its default, range and help text. The same
// declarations drive --help, validation and the config file (--config FILE, TOML or INI).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace CLI {
class App;
}

namespace balctl::app {

struct ServeOptions {
  std::filesystem::path data_dir;
  std::string listen = "127.0.0.1:8443";
  std::filesystem::path tls_cert;
  std::filesystem::path tls_key;
  bool insecure_http = false;
  std::string public_url;              // default derived from --listen
  std::filesystem::path agent_binary;  // default: balctl-agent next to this executable
  std::string database;                // empty: embedded SQLite in the data dir
  std::string log_level = "info";
  int threads = 0;  // 0: one per core
  std::string cpu_affinity = "none";  // none | auto (cpu_affinity.hpp)
  std::int64_t heartbeat_interval_ms = 1000;
  std::int64_t flush_interval_ms = 1000;
  std::int64_t report_interval_s = 60;
  std::int64_t dns_check_interval_s = 60;  // each pool's record is read back this often (drift repair)
  std::int64_t max_body_bytes = 1 << 20;
  std::int64_t read_timeout_ms = 30'000;
  std::int64_t header_timeout_ms = 10'000;
  std::int64_t max_connections = 20'000;
  std::int64_t max_connections_per_ip = 64;
  // Reverse proxies in front of the control plane whose client-address header is believed (off: none).
  std::vector<std::string> trusted_proxies;
  std::string client_ip_header = "X-Forwarded-For";
};

void add_serve_options(CLI::App& command, ServeOptions& options);

struct ListenAddress {
  std::string host;
  unsigned short port = 0;
};
// "127.0.0.1:8443", "[::1]:8443", "0.0.0.0:443".
Result<ListenAddress> parse_listen(const std::string& text);

// Checks combinations the per-flag checks cannot (e.g. --tls-cert without --tls-key).
Status validate(const ServeOptions& options);

}  // namespace balctl::app
