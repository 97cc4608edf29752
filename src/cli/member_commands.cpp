#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/pool_wait.hpp"

namespace balctl::cli {
namespace {

struct MemberArgs {
  std::string pool;
  std::string hostname;
  std::string ip;
  std::string egress_ip;
  std::int64_t priority = 100;
  std::int64_t key_ttl_s = 86'400;
};

std::string member_path(const MemberArgs& args) {
  return "/api/v1/pools/" + percent_encode(args.pool) + "/members/" + percent_encode(args.hostname);
}

struct RemovalArgs {
  bool force = false;
  bool dry_run = false;
  bool no_wait = false;
  int timeout_s = 30;
};

// Removing the active is a cutover first (the server answers "removing"): wait until the member is gone.
Status remove_member(ApiClient& client, const MemberArgs& args, const RemovalArgs& removal, bool json) {
  std::string query = removal.force ? "?force=true" : "";
  if (removal.dry_run) query += query.empty() ? "?dry_run=true" : "&dry_run=true";
  auto reply = client.call("DELETE", member_path(args) + query);
  if (!reply) return reply.error();
  if (json) {
    print_json(*reply);
  } else if (removal.dry_run) {
    std::cout << "Would: " << text(*reply, "plan") << "\n";
  } else if (!reply->contains("removing")) {
    std::cout << "Removed " << args.hostname << " from pool " << args.pool << ".\n";
  } else {
    std::cout << "Started: " << text(*reply, "plan") << "\n";
  }
  if (removal.dry_run || removal.no_wait || !reply->contains("removing")) return {};
  return wait_for_pool(client, args.pool, removal.timeout_s, "the cutover before removing " + args.hostname,
                       [&args](const boost::json::object& pool) -> std::optional<std::string> {
                         for (const auto& m : pool.at("members").as_array()) {
                           if (text(m.as_object(), "hostname") == args.hostname) return std::nullopt;
                         }
                         return "Removed " + args.hostname + " from pool " + args.pool + " after the cutover to " +
                                text(pool, "active_member") + ".";
                       });
}

void print_issued_key(const boost::json::object& reply) {
  const auto& member = reply.at("member").as_object();
  std::cout << "Member " << text(member, "hostname") << " (" << text(member, "ipv4") << ") in pool "
            << text(reply, "pool") << ".\n"
            << "Enrollment key (single use, expires " << text(reply, "expires_at") << "):\n  "
            << text(reply, "enrollment_key") << "\n"
            << "Install the agent on the member, as root:\n  " << text(reply, "install_command") << "\n";
}

// "running 2.6.12", or the degraded "running, stats unavailable: <reason>" the server spells out (a
// server without `display` gets the plain state).
std::string haproxy_summary(const boost::json::object& haproxy) {
  const auto* display = haproxy.if_contains("display");
  std::string out = display != nullptr && display->is_string() && !display->get_string().empty()
                        ? std::string(display->get_string())
                        : text(haproxy, "state");
  const std::string version = text(haproxy, "version");
  return version == "-" ? out : out + " " + version;
}

// "pidfile /run/haproxy.pid" etc. from the member's last full report; empty when it does not say.
std::string found_by(const boost::json::object& m) {
  const auto* report = m.if_contains("report");
  if (report == nullptr || !report->is_object()) return {};
  const auto* haproxy = report->as_object().if_contains("haproxy");
  if (haproxy == nullptr || !haproxy->is_object()) return {};
  const auto* how = haproxy->as_object().if_contains("found_by");
  return how != nullptr && how->is_string() ? std::string(how->get_string()) : std::string();
}

void print_member(const boost::json::object& m) {
  std::cout << text(m, "hostname") << " in pool " << text(m, "pool") << "\n"
            << "  role " << text(m, "role") << ", status " << text(m, "status") << ", last heartbeat "
            << age(m.if_contains("last_heartbeat_age_ms")) << " ago\n"
            << "  address " << text(m, "ipv4") << ", allowed egress " << text(m, "egress_ip") << ", seen from "
            << text(m, "source_ip") << "\n"
            << "  agent " << text(m, "agent_version") << ", HAProxy "
            << haproxy_summary(m.at("haproxy").as_object()) << "\n";
  if (const auto how = found_by(m); !how.empty()) std::cout << "  HAProxy process found by " << how << "\n";
  const auto* report = m.if_contains("report");
  if (report == nullptr || !report->is_object()) return;
  const auto* haproxy = report->as_object().if_contains("haproxy");
  if (haproxy == nullptr || !haproxy->is_object() || !haproxy->as_object().contains("rows")) return;
  Table table({"PROXY", "SERVICE", "STATUS", "SESSIONS", "RATE", "CHECK"});
  for (const auto& item : haproxy->as_object().at("rows").as_array()) {
    const auto& row = item.as_object();
    table.add({text(row, "proxy"), text(row, "service"), text(row, "status"), text(row, "current_sessions"),
               text(row, "session_rate"), text(row, "check_status")});
  }
  table.print(std::cout);
}

}  // namespace

void add_member_commands(CLI::App& app, CommandContext& ctx) {
  auto* member = app.add_subcommand("member", "Add, list, show, remove and re-key members")->require_subcommand(1);
  auto args = std::make_shared<MemberArgs>();
  const auto add_target = [&args](CLI::App* command) {
    command->add_option("POOL", args->pool, "Pool name")->required();
    command->add_option("HOSTNAME", args->hostname, "Member host name")->required();
  };

  auto* add = member->add_subcommand("add", "Add a member and print its one-time enrollment key");
  add_target(add);
  add->add_option("--ip", args->ip, "IPv4 address DNS should point at when this member is active")->required();
  add->add_option("--egress-ip", args->egress_ip, "Only accept this member's heartbeats from this source address");
  add->add_option("--priority", args->priority, "Failover preference, higher first (0-1000)")->check(CLI::Range(0, 1000));
  add->add_option("--key-ttl", args->key_ttl_s, "Seconds until the enrollment key expires (60-2592000)")
      ->check(CLI::Range(60, 2'592'000));
  bind_action(add, ctx, [&ctx, args](ApiClient& client) {
    boost::json::object body{{"hostname", args->hostname}, {"ipv4", args->ip}, {"priority", args->priority},
                             {"key_ttl_s", args->key_ttl_s}};
    if (!args->egress_ip.empty()) body["egress_ip"] = args->egress_ip;
    return print_reply(client.call("POST", "/api/v1/pools/" + percent_encode(args->pool) + "/members", body), ctx.options.json,
                print_issued_key);
  });

  auto* list = member->add_subcommand("list", "List a pool's members with liveness and HAProxy state");
  list->add_option("POOL", args->pool, "Pool name")->required();
  bind_action(list, ctx, [&ctx, args](ApiClient& client) {
    return print_reply(client.call("GET", "/api/v1/pools/" + percent_encode(args->pool) + "/members"), ctx.options.json,
                [](const boost::json::object& reply) {
                  Table table({"HOSTNAME", "ROLE", "STATUS", "LAST-HB", "IPV4", "HAPROXY", "AGENT", "FAILOVER-READY"});
                  for (const auto& item : reply.at("members").as_array()) {
                    const auto& m = item.as_object();
                    table.add({text(m, "hostname"), text(m, "role"), text(m, "status"),
                               age(m.if_contains("last_heartbeat_age_ms")), text(m, "ipv4"),
                               haproxy_summary(m.at("haproxy").as_object()), text(m, "agent_version"),
                               text(m, "failover_ready")});
                  }
                  table.print(std::cout);
                });
  });

  auto* show_member = member->add_subcommand("show", "Show one member, its last report and HAProxy rows");
  add_target(show_member);
  bind_action(show_member, ctx, [&ctx, args](ApiClient& client) {
    return print_reply(client.call("GET", member_path(*args)), ctx.options.json, print_member);
  });

  auto* remove = member->add_subcommand(
      "remove", "Remove a member (its agent can no longer heartbeat); the active first hands over to a standby");
  add_target(remove);
  auto removal = std::make_shared<RemovalArgs>();
  remove->add_flag("--force", removal->force, "Remove even the active without a standby to take over");
  remove->add_flag("--dry-run", removal->dry_run, "Only print what would happen");
  remove->add_flag("--no-wait", removal->no_wait, "Return once the cutover of an active has started");
  remove->add_option("--timeout", removal->timeout_s, "Seconds to wait for the cutover of an active (1-600)")
      ->check(CLI::Range(1, 600));
  bind_action(remove, ctx, [&ctx, args, removal](ApiClient& client) {
    return remove_member(client, *args, *removal, ctx.options.json);
  });

  auto maintenance_state = std::make_shared<std::string>();
  auto flags = std::make_shared<std::pair<bool, bool>>(false, false);  // force, dry-run
  auto* maintenance = member->add_subcommand("maintenance", "Put a member in maintenance (the active first hands over)");
  add_target(maintenance);
  maintenance->add_option("STATE", *maintenance_state, "on or off")->required()->check(CLI::IsMember({"on", "off"}));
  maintenance->add_flag("--force", flags->first, "Proceed even when no standby can take over");
  maintenance->add_flag("--dry-run", flags->second, "Only print what would happen");
  bind_action(maintenance, ctx, [&ctx, args, maintenance_state, flags](ApiClient& client) {
    const boost::json::object body{{"on", *maintenance_state == "on"}, {"force", flags->first}, {"dry_run", flags->second}};
    return print_reply(client.call("POST", member_path(*args) + "/maintenance", body), ctx.options.json,
                       [flags](const boost::json::object& reply) {
                         std::cout << (flags->second ? "Would: " : "") << text(reply, "plan") << "\n";
                       });
  });

  auto* rekey = member->add_subcommand("rekey", "Issue a new enrollment key for an existing member");
  add_target(rekey);
  rekey->add_option("--key-ttl", args->key_ttl_s, "Seconds until the key expires (60-2592000)")
      ->check(CLI::Range(60, 2'592'000));
  bind_action(rekey, ctx, [&ctx, args](ApiClient& client) {
    return print_reply(client.call("POST", member_path(*args) + "/enrollment-key", boost::json::object{{"key_ttl_s", args->key_ttl_s}}),
                ctx.options.json, print_issued_key);
  });
}

}  // namespace balctl::cli
