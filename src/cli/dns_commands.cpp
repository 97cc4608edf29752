#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/pool_wait.hpp"
#include "common/files.hpp"

namespace balctl::cli {
namespace {

struct DnsArgs {
  std::string pool;
  std::string provider;
  std::string server;  // HOST[:PORT]
  std::string zone;
  std::string tsig_name;
  std::string tsig_algorithm = "hmac-sha256";
  std::string secret;       // --tsig-secret / --api-key / --api-token
  std::string secret_file;  // read the secret from a file instead of the command line
  std::string api_url;
  std::string server_id = "localhost";
  std::string verify_server;
  std::string zone_id;
  std::string username;
  std::string cpanel_mode = "uapi";
  bool proxied = false;
  bool no_publish = false;
  bool no_wait = false;
  int timeout_s = 30;
};

// "ns1.example.com", "192.0.2.53:5353", "[2001:db8::53]:53" -> host and port.
Result<std::pair<std::string, std::int64_t>> split_server(const std::string& text) {
  std::string host = text;
  std::int64_t port = 53;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos) return usage_error("--server: missing ']' in '" + text + "'");
    host = text.substr(1, close - 1);
    if (close + 1 < text.size()) {
      if (text[close + 1] != ':') return usage_error("--server must be HOST[:PORT]");
      port_text = text.substr(close + 2);
    }
  } else if (text.find(':') != std::string::npos && text.find(':') == text.rfind(':')) {
    host = text.substr(0, text.find(':'));
    port_text = text.substr(text.find(':') + 1);
  }
  if (!port_text.empty()) {
    if (port_text.find_first_not_of("0123456789") != std::string::npos || port_text.size() > 5 ||
        std::stoll(port_text) < 1 || std::stoll(port_text) > 65535) {
      return usage_error("--server: '" + port_text + "' is not a port number");
    }
    port = std::stoll(port_text);
  }
  return std::make_pair(host, port);
}

Result<boost::json::object> provider_body(const DnsArgs& a) {
  std::string secret = a.secret;
  if (!a.secret_file.empty()) {
    auto text = files::read(a.secret_file, 64 * 1024);
    if (!text) return usage_error("cannot read --secret-file: " + text.error().message);
    secret = *text;
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  }
  boost::json::object body{{"provider", a.provider}};
  const auto need = [](const std::string& value, const char* flag) -> Status {
    if (value.empty()) return usage_error(std::string(flag) + " is required for this provider");
    return {};
  };
  if (a.provider == "rfc2136") {
    for (auto [value, flag] : {std::pair{&a.server, "--server"}, {&a.zone, "--zone"}, {&a.tsig_name, "--tsig-name"},
                               {&secret, "--tsig-secret (or --secret-file)"}}) {
      if (auto status = need(*value, flag); !status) return status.error();
    }
    auto server = split_server(a.server);
    if (!server) return server.error();
    body["server"] = server->first;
    body["port"] = server->second;
    body["zone"] = a.zone;
    body["tsig_name"] = a.tsig_name;
    body["tsig_algorithm"] = a.tsig_algorithm;
    body["tsig_secret"] = secret;
  } else if (a.provider == "powerdns") {
    for (auto [value, flag] : {std::pair{&a.api_url, "--api-url"}, {&a.zone, "--zone"},
                               {&secret, "--api-key (or --secret-file)"}}) {
      if (auto status = need(*value, flag); !status) return status.error();
    }
    body["api_url"] = a.api_url;
    body["server_id"] = a.server_id;
    body["zone"] = a.zone;
    body["api_key"] = secret;
    if (!a.verify_server.empty()) body["verify_server"] = a.verify_server;
  } else if (a.provider == "cloudflare") {
    for (auto [value, flag] : {std::pair{&a.zone_id, "--zone-id"}, {&secret, "--api-token (or --secret-file)"}}) {
      if (auto status = need(*value, flag); !status) return status.error();
    }
    body["zone_id"] = a.zone_id;
    body["api_token"] = secret;
    body["proxied"] = a.proxied;
    if (!a.api_url.empty()) body["api_url"] = a.api_url;
  } else {
    for (auto [value, flag] : {std::pair{&a.api_url, "--api-url"}, {&a.username, "--username"}, {&a.zone, "--zone"},
                               {&secret, "--api-token (or --secret-file)"}}) {
      if (auto status = need(*value, flag); !status) return status.error();
    }
    body["api_url"] = a.api_url;
    body["mode"] = a.cpanel_mode;
    body["username"] = a.username;
    body["zone"] = a.zone;
    body["api_token"] = secret;
  }
  return body;
}

void print_binding(const boost::json::object& reply) {
  const auto& dns = reply.at("dns").as_object();
  std::cout << "DNS provider " << text(dns, "provider") << ":\n";
  for (const auto& [key, value] : dns) {
    if (key != "provider") std::cout << "  " << std::string(key) << ": " << text(&value) << "\n";
  }
  for (const auto& warning : reply.at("warnings").as_array()) std::cout << "warning: " << text(&warning) << "\n";
}

std::string pool_path(const std::string& pool) { return "/api/v1/pools/" + percent_encode(pool) + "/dns"; }

std::string joined(const boost::json::value* list) {
  std::string out;
  if (list != nullptr && list->is_array()) {
    for (const auto& item : list->as_array()) out += (out.empty() ? "" : ", ") + text(&item);
  }
  return out.empty() ? "nothing (no A record)" : out;
}

// After binding: what the record answered at the check, what balctl does about it, and (publishing) the
// wait until the authority answers the active's address.
Status bind_provider(ApiClient& client, const DnsArgs& a, bool json) {
  auto body = provider_body(a);
  if (!body) return body.error();
  if (a.no_publish) (*body)["publish"] = false;
  auto reply = client.call("PUT", pool_path(a.pool), *body);
  if (!reply) return reply.error();
  if (json) {
    print_json(*reply);
  } else {
    print_binding(*reply);
    std::cout << "The record answers now: " << joined(reply->if_contains("answers_now")) << "\n"
              << text(*reply, "publish") << "\n";
  }
  if (a.no_publish || a.no_wait || text(*reply, "publish").rfind("publishing", 0) != 0) return {};
  return wait_for_pool(client, a.pool, a.timeout_s, "publishing the active's address",
                       [](const boost::json::object& pool) -> std::optional<std::string> {
                         const auto& record = pool.at("failover").as_object().at("record").as_object();
                         if (text(record, "state") != "matches") return std::nullopt;
                         return "Verified: " + text(pool, "hostname") + " answers " + text(record, "expected") + ".";
                       });
}

}  // namespace

void add_dns_commands(CLI::App& app, CommandContext& ctx) {
  auto* dns = app.add_subcommand("dns", "Bind a DNS provider to a pool, show it, check what DNS answers")
                  ->require_subcommand(1);
  auto a = std::make_shared<DnsArgs>();

  auto* set = dns->add_subcommand("set", "Set the DNS provider that manages the pool's A record");
  set->add_option("POOL", a->pool, "Pool name")->required();
  set->add_option("--provider", a->provider, "rfc2136, powerdns, cloudflare or cpanel")
      ->required()
      ->check(CLI::IsMember({"rfc2136", "powerdns", "cloudflare", "cpanel"}));
  set->add_option("--server", a->server, "rfc2136: primary server HOST[:PORT]");
  set->add_option("--zone", a->zone, "rfc2136, powerdns, cpanel: the zone, e.g. example.com");
  set->add_option("--tsig-name", a->tsig_name, "rfc2136: TSIG key name");
  set->add_option("--tsig-algorithm", a->tsig_algorithm, "rfc2136: hmac-sha256 (default), hmac-sha512, ...");
  set->add_option("--tsig-secret,--api-key,--api-token", a->secret, "The provider's secret (TSIG secret, API key/token)");
  set->add_option("--secret-file", a->secret_file, "Read the secret from this file instead");
  set->add_option("--api-url", a->api_url, "powerdns, cpanel (and a cloudflare override): the API base URL");
  set->add_option("--server-id", a->server_id, "powerdns: server id (default localhost)");
  set->add_option("--verify-server", a->verify_server, "powerdns: IP[:PORT] of its DNS service to verify against");
  set->add_option("--zone-id", a->zone_id, "cloudflare: the zone identifier");
  set->add_flag("--proxied", a->proxied, "cloudflare: proxy the record through Cloudflare");
  set->add_option("--username", a->username, "cpanel: the cPanel account (uapi) or the WHM user (whm)");
  set->add_option("--cpanel-mode", a->cpanel_mode,
                  "cpanel: uapi (cPanel account token, https://host:2083, default) or whm (WHM API token, "
                  "https://host:2087)")
      ->check(CLI::IsMember({"uapi", "whm"}));
  set->add_flag("--no-publish", a->no_publish,
                "Bind without changing the record now (it is published at the next failover)");
  set->add_flag("--no-wait", a->no_wait, "Do not wait until the published address is verified");
  set->add_option("--timeout", a->timeout_s, "Seconds to wait for the publish to be verified (1-600)")
      ->check(CLI::Range(1, 600));
  bind_action(set, ctx, [&ctx, a](ApiClient& client) { return bind_provider(client, *a, ctx.options.json); });

  auto* show = dns->add_subcommand("show", "Show the pool's DNS provider (secrets hidden)");
  show->add_option("POOL", a->pool, "Pool name")->required();
  bind_action(show, ctx, [&ctx, a](ApiClient& client) {
    return print_reply(client.call("GET", pool_path(a->pool)), ctx.options.json, print_binding);
  });

  auto* check = dns->add_subcommand("check", "Ask the authority what the pool's name resolves to now");
  check->add_option("POOL", a->pool, "Pool name")->required();
  bind_action(check, ctx, [&ctx, a](ApiClient& client) {
    return print_reply(client.call("GET", pool_path(a->pool) + "/check"), ctx.options.json,
                       [](const boost::json::object& r) {
                         std::string addresses;
                         for (const auto& address : r.at("addresses").as_array()) {
                           addresses += (addresses.empty() ? "" : ", ") + text(&address);
                         }
                         const bool matches = r.at("matches_active").as_bool();
                         std::cout << text(r, "hostname") << " -> " << (addresses.empty() ? "(no A record)" : addresses)
                                   << " (serial " << text(r, "serial") << ")\n"
                                   << "active member " << text(r, "active_member") << " is "
                                   << text(r, "active_ipv4") << ": " << (matches ? "matches" : "DOES NOT MATCH")
                                   << "\n";
                         if (!matches) {
                           const auto* repair = r.if_contains("dns_repair");
                           std::cout << (repair != nullptr && repair->is_bool() && repair->as_bool()
                                             ? "balctl repairs a record it published (dns repair on); "
                                             : "dns repair is off; ")
                                     << "'balctl failover POOL --to ACTIVE' re-publishes it now\n";
                         }
                       });
  });

  auto* remove = dns->add_subcommand("remove", "Unbind the DNS provider (failover then only changes roles)");
  remove->add_option("POOL", a->pool, "Pool name")->required();
  bind_action(remove, ctx, [&ctx, a](ApiClient& client) {
    return print_reply(client.call("DELETE", pool_path(a->pool)), ctx.options.json,
                       [a](const boost::json::object&) { std::cout << "Removed the DNS provider of " << a->pool << ".\n"; });
  });
}

}  // namespace balctl::cli
