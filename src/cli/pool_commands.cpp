#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace balctl::cli {
namespace {

struct PoolArgs {
  std::string name;
  std::string hostname;
  std::string preset = "haproxy";
  std::int64_t delay_s = 10;
  std::int64_t grace_s = 1;
  std::string failback;
  std::int64_t ttl_s = 30;
  std::string probe_ports;
  std::int64_t failback_after_s = 60;
  std::int64_t dwell_s = 30;
  std::int64_t settle_s = 10;
  std::string dns_sync;
  std::string dns_repair;
  bool force = false;
};

// "80,443" or "none" -> [80, 443] or []
Result<boost::json::array> probe_ports(const std::string& text) {
  boost::json::array ports;
  if (text == "none") return ports;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto comma = std::min(text.find(',', start), text.size());
    const auto part = text.substr(start, comma - start);
    if (part.empty() || part.size() > 5 || part.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(part) < 1 || std::stoi(part) > 65535) {
      return usage_error("--probe-ports must be a list of TCP ports like 80,443, or none");
    }
    ports.push_back(std::stoi(part));
    start = comma + 1;
  }
  return ports;
}

std::string on_off(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value != nullptr && value->is_bool() && value->as_bool() ? "on" : "off";
}

void print_pool(const boost::json::object& pool) {
  std::cout << "Pool " << text(pool, "name") << " (" << text(pool, "hostname") << ")\n"
            << "  preset " << text(pool, "preset") << ", delay " << text(pool, "delay_s") << " s, haproxy grace "
            << text(pool, "haproxy_grace_s") << " s, failback " << text(pool, "failback") << ", ttl "
            << text(pool, "ttl_s") << " s\n"
            << "  active member: " << text(pool, "active_member") << "; " << text(pool, "members_online") << " of "
            << text(pool, "members_total") << " member(s) online\n"
            << "  failover: probe ports " << text(pool, "probe_ports") << ", fail-back after "
            << text(pool, "failback_after_s") << " s, dwell " << text(pool, "dwell_s") << " s, settle "
            << text(pool, "settle_s") << " s, dns sync " << on_off(pool, "dns_sync") << ", dns repair "
            << on_off(pool, "dns_repair") << "\n";
  if (const auto* failover = pool.if_contains("failover"); failover != nullptr && failover->is_object()) {
    std::cout << "  state: " << text(failover->as_object(), "phase") << ", published "
              << text(failover->as_object(), "published_ipv4") << "\n";
  }
}

void print_members(const boost::json::object& pool) {
  Table table({"MEMBER", "ROLE", "STATUS", "LAST-HB", "IPV4", "HAPROXY"});
  for (const auto& item : pool.at("members").as_array()) {
    const auto& m = item.as_object();
    table.add({text(m, "hostname"), text(m, "role"), text(m, "status"), age(m.if_contains("last_heartbeat_age_ms")),
               text(m, "ipv4"), text(m.at("haproxy").as_object(), "state")});
  }
  table.print(std::cout);
}

}  // namespace

void add_pool_commands(CLI::App& app, CommandContext& ctx) {
  auto* pool = app.add_subcommand("pool", "Create, list, show, change and delete pools")->require_subcommand(1);
  auto args = std::make_shared<PoolArgs>();

  auto* create = pool->add_subcommand("create", "Create a pool behind a failover hostname");
  create->add_option("NAME", args->name, "Pool name (a-z, 0-9, '-', '_')")->required();
  create->add_option("--hostname", args->hostname, "Failover hostname (FQDN) whose A record balctl manages")->required();
  create->add_option("--preset", args->preset, "haproxy or generic")->check(CLI::IsMember({"haproxy", "generic"}));
  create->add_option("--delay", args->delay_s, "Failover delay in seconds (3-120)")->check(CLI::Range(3, 120));
  bind_action(create, ctx, [&ctx, args](ApiClient& client) {
    boost::json::object body{{"name", args->name}, {"hostname", args->hostname}, {"preset", args->preset},
                             {"delay_s", args->delay_s}};
    return print_reply(client.call("POST", "/api/v1/pools", body), ctx.options.json, [](const boost::json::object& reply) {
      std::cout << "Created pool " << text(reply, "name") << ".\n";
      print_pool(reply);
    });
  });

  auto* list = pool->add_subcommand("list", "List pools");
  bind_action(list, ctx, [&ctx](ApiClient& client) {
    return print_reply(client.call("GET", "/api/v1/pools"), ctx.options.json, [](const boost::json::object& reply) {
      Table table({"NAME", "HOSTNAME", "PRESET", "DELAY", "ACTIVE", "ONLINE"});
      for (const auto& item : reply.at("pools").as_array()) {
        const auto& p = item.as_object();
        table.add({text(p, "name"), text(p, "hostname"), text(p, "preset"), text(p, "delay_s") + "s",
                   text(p, "active_member"), text(p, "members_online") + "/" + text(p, "members_total")});
      }
      table.print(std::cout);
    });
  });

  auto* show_pool = pool->add_subcommand("show", "Show one pool and its members");
  show_pool->add_option("NAME", args->name, "Pool name")->required();
  bind_action(show_pool, ctx, [&ctx, args](ApiClient& client) {
    return print_reply(client.call("GET", "/api/v1/pools/" + percent_encode(args->name)), ctx.options.json,
                [](const boost::json::object& reply) {
                  print_pool(reply);
                  print_members(reply);
                });
  });

  auto* set = pool->add_subcommand("set", "Change pool settings");
  set->add_option("NAME", args->name, "Pool name")->required();
  auto* hostname = set->add_option("--hostname", args->hostname, "Failover hostname (FQDN)");
  auto* delay = set->add_option("--delay", args->delay_s, "Failover delay in seconds (3-120)")->check(CLI::Range(3, 120));
  auto* grace = set->add_option("--haproxy-grace", args->grace_s, "Seconds HAProxy may be down before failover (0-60)")
                    ->check(CLI::Range(0, 60));
  auto* failback = set->add_option("--failback", args->failback, "none or preferred")
                       ->check(CLI::IsMember({"none", "preferred"}));
  auto* ttl = set->add_option("--ttl", args->ttl_s, "TTL of the managed A record in seconds (5-86400)")
                  ->check(CLI::Range(5, 86'400));
  auto* ports = set->add_option("--probe-ports", args->probe_ports,
                                "Frontend ports probed to confirm a silent active is down, e.g. 80,443 (none: off)");
  auto* failback_after = set->add_option("--failback-after", args->failback_after_s,
                                         "With --failback preferred: seconds of health before moving back (0-86400)")
                             ->check(CLI::Range(0, 86'400));
  auto* dwell = set->add_option("--dwell", args->dwell_s, "Minimum seconds between automatic moves (0-86400)")
                    ->check(CLI::Range(0, 86'400));
  auto* settle = set->add_option("--settle", args->settle_s,
                                 "Seconds a member that came back must stay healthy before it can take over (0-3600)")
                     ->check(CLI::Range(0, 3600));
  auto* dns_sync = set->add_option("--dns-sync", args->dns_sync,
                                   "on: publish the active's address as seen by the control plane (dynamic IPs)")
                       ->check(CLI::IsMember({"on", "off"}));
  auto* dns_repair = set->add_option("--dns-repair", args->dns_repair,
                                     "on (default): put the record back to the active's address when it is found "
                                     "pointing elsewhere; off: only report it")
                         ->check(CLI::IsMember({"on", "off"}));
  bind_action(set, ctx, [&ctx, args, hostname, delay, grace, failback, ttl, ports, failback_after, dwell, settle,
                         dns_sync, dns_repair](ApiClient& client) -> Status {
    boost::json::object body;
    if (hostname->count() > 0) body["hostname"] = args->hostname;
    if (delay->count() > 0) body["delay_s"] = args->delay_s;
    if (grace->count() > 0) body["haproxy_grace_s"] = args->grace_s;
    if (failback->count() > 0) body["failback"] = args->failback;
    if (ttl->count() > 0) body["ttl_s"] = args->ttl_s;
    if (ports->count() > 0) {
      auto list = probe_ports(args->probe_ports);
      if (!list) return list.error();
      body["probe_ports"] = std::move(*list);
    }
    if (failback_after->count() > 0) body["failback_after_s"] = args->failback_after_s;
    if (dwell->count() > 0) body["dwell_s"] = args->dwell_s;
    if (settle->count() > 0) body["settle_s"] = args->settle_s;
    if (dns_sync->count() > 0) body["dns_sync"] = args->dns_sync == "on";
    if (dns_repair->count() > 0) body["dns_repair"] = args->dns_repair == "on";
    if (body.empty()) return usage_error("pool set: give at least one setting to change (see balctl pool set --help)");
    return print_reply(client.call("PATCH", "/api/v1/pools/" + percent_encode(args->name), body), ctx.options.json, print_pool);
  });

  auto* remove = pool->add_subcommand("delete", "Delete a pool");
  remove->add_option("NAME", args->name, "Pool name")->required();
  remove->add_flag("--force", args->force, "Also remove the pool's members");
  bind_action(remove, ctx, [&ctx, args](ApiClient& client) {
    const std::string query = args->force ? "?force=true" : "";
    return print_reply(client.call("DELETE", "/api/v1/pools/" + percent_encode(args->name) + query), ctx.options.json,
                [args](const boost::json::object&) { std::cout << "Deleted pool " << args->name << ".\n"; });
  });
}

}  // namespace balctl::cli
