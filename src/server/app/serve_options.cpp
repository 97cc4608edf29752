#include "server/app/serve_options.hpp"

#include <charconv>

#include <CLI/CLI.hpp>

#include "common/validate.hpp"
#include "server/http/client_address.hpp"

namespace balctl::app {

void add_serve_options(CLI::App& command, ServeOptions& o) {
  command.add_option("--data-dir", o.data_dir, "Directory for the database, TLS key, tokens (created 0700)")
      ->required();
  command.add_option("--listen", o.listen, "Address and port to listen on, e.g. 0.0.0.0:8443 or [::]:8443")
      ->capture_default_str();
  command
      .add_option("--tls-cert", o.tls_cert,
                  "PEM certificate chain to serve (default: self-signed in the data dir)")
      ->check(CLI::ExistingFile);
  command.add_option("--tls-key", o.tls_key, "PEM private key for --tls-cert")->check(CLI::ExistingFile);
  command.add_flag("--insecure-http", o.insecure_http, "Serve plain HTTP (local testing only)");
  command.add_option(
      "--public-url", o.public_url,
      "URL agents use to reach this server, printed in install commands (default: from --listen)");
  command.add_option("--agent-binary", o.agent_binary,
                     "balctl-agent file served to installing members (default: next to this executable)");
  command.add_option("--database", o.database,
                     "postgresql://... to use PostgreSQL (default: SQLite in the data dir)");
  command.add_option("--log-level", o.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "warning", "error", "off"}))
      ->capture_default_str();
  command.add_option("--threads", o.threads, "I/O threads (0: one per core)")->check(CLI::Range(0, 64));
  command
      .add_option("--cpu-affinity", o.cpu_affinity,
                  "auto: each I/O thread on its own CPU (of those this process may use), like nginx's "
                  "worker_cpu_affinity auto; none: leave placement to the kernel")
      ->check(CLI::IsMember({"none", "auto"}))
      ->capture_default_str();
  command.add_option("--heartbeat-interval-ms", o.heartbeat_interval_ms, "Heartbeat interval told to agents")
      ->check(CLI::Range(100, 60'000))
      ->capture_default_str();
  command
      .add_option("--flush-interval-ms", o.flush_interval_ms,
                  "How often liveness is written to the store in one batch (what kill -9 can lose)")
      ->check(CLI::Range(100, 10'000))
      ->capture_default_str();
  command
      .add_option("--report-interval-s", o.report_interval_s,
                  "Longest time between persisted full reports of a member; each member has its own period "
                  "between half of this and all of it (at once when HAProxy changes state)")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  command
      .add_option("--dns-check-interval-s", o.dns_check_interval_s,
                  "How often each pool's record is read back through its provider; a record found pointing "
                  "elsewhere than the active raises dns_drift and is repaired (pool setting dns-repair)")
      ->check(CLI::Range(10, 86'400))
      ->capture_default_str();
  command.add_option("--max-body-bytes", o.max_body_bytes, "Largest request body accepted (larger: 413)")
      ->check(CLI::Range(1024, 64 << 20))
      ->capture_default_str();
  command
      .add_option("--read-timeout-ms", o.read_timeout_ms,
                  "Deadline for a request body after its head, and idle keep-alive time between requests")
      ->check(CLI::Range(100, 600'000))
      ->capture_default_str();
  command
      .add_option("--header-timeout-ms", o.header_timeout_ms,
                  "Deadline for the TLS handshake and first request head of a new connection, and for a "
                  "later head from its first byte (at most --read-timeout-ms)")
      ->check(CLI::Range(100, 600'000))
      ->capture_default_str();
  command.add_option("--max-connections", o.max_connections, "Open connections accepted at once")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  command
      .add_option("--max-connections-per-ip", o.max_connections_per_ip,
                  "Open connections accepted at once from one client address (1 .. --max-connections; "
                  "a --trusted-proxy is not limited)")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  command.add_option("--trusted-proxy", o.trusted_proxies,
                     "Address or CIDR network of a reverse proxy whose client-address header is believed "
                     "(repeatable; default: none, the TCP peer is the client)");
  command
      .add_option("--client-ip-header", o.client_ip_header,
                  "Header naming the client behind a --trusted-proxy (X-Forwarded-For list or one address)")
      ->capture_default_str();
  command.set_config("--config", "",
                     "Read these settings from a TOML or INI file (keys as the long flag names)");
}

Result<ListenAddress> parse_listen(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return Error::invalid("listen", "--listen must be ADDRESS:PORT, e.g. 127.0.0.1:8443");
  }
  std::string host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return Error::invalid("listen", "--listen: write IPv6 addresses in brackets, e.g. [::1]:8443");
  }
  if (!validate::ip_address(host))
    return Error::invalid("listen", "--listen address '" + host + "' is not an IP address");
  unsigned port = 0;
  const std::string port_text = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return Error::invalid("listen", "--listen port '" + port_text + "' is not a port number");
  }
  return ListenAddress{host, static_cast<unsigned short>(port)};
}

Status validate(const ServeOptions& o) {
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return Error::invalid("tls-cert", "--tls-cert and --tls-key must be given together");
  }
  if (o.insecure_http && !o.tls_cert.empty()) {
    return Error::invalid("insecure-http", "--insecure-http cannot be combined with --tls-cert");
  }
  if (!o.database.empty()) {
    return Error::invalid("database",
                          "--database: PostgreSQL support is a later milestone; omit it to use SQLite");
  }
  if (!o.public_url.empty() && o.public_url.rfind("https://", 0) != 0 &&
      o.public_url.rfind("http://", 0) != 0) {
    return Error::invalid("public-url", "--public-url must start with https:// or http://");
  }
  if (o.max_connections_per_ip > o.max_connections) {
    return Error::invalid("max-connections-per-ip",
                          "--max-connections-per-ip must be at most --max-connections (" +
                              std::to_string(o.max_connections) + ")");
  }
  if (auto listen = parse_listen(o.listen); !listen) return listen.error();
  if (auto policy = http::ClientAddressPolicy::make(o.trusted_proxies, o.client_ip_header); !policy) {
    return policy.error();
  }
  return {};
}

}  // namespace balctl::app
