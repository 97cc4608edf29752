#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace balctl::cli {
namespace {

struct FailoverArgs {
  std::string pool;
  std::string target;
  bool force = false;
  bool dry_run = false;
  bool no_wait = false;
  int timeout_s = 30;
};

// Polls the pool until `target` is active (the change was verified at the authority) or time runs out.
Status wait_until_active(ApiClient& client, const std::string& pool, const std::string& target, int timeout_s) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (true) {
    auto reply = client.call("GET", "/api/v1/pools/" + percent_encode(pool));
    if (!reply) return reply.error();
    const auto& failover = reply->at("failover").as_object();
    if (text(*reply, "active_member") == target && text(failover, "phase") != "switching") {
      std::cout << text(*reply, "hostname") << " now points at " << target << " ("
                << text(failover, "published_ipv4") << ").\n";
      return {};
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error{Errc::unavailable, "timeout",
                   "still switching after " + std::to_string(timeout_s) + " s; see: balctl events --pool " + pool, {}};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace

void add_failover_commands(CLI::App& app, CommandContext& ctx) {
  auto a = std::make_shared<FailoverArgs>();
  auto* failover = app.add_subcommand("failover", "Move the pool's DNS record to another member (manual cutover)");
  failover->add_option("POOL", a->pool, "Pool name")->required();
  failover->add_option("--to", a->target, "The member to make active")->required();
  failover->add_flag("--force", a->force, "Move even to a member that is not failover-ready");
  failover->add_flag("--dry-run", a->dry_run, "Only print what would happen");
  failover->add_flag("--no-wait", a->no_wait, "Return once the change has started");
  failover->add_option("--timeout", a->timeout_s, "Seconds to wait for the change to be verified (1-600)")
      ->check(CLI::Range(1, 600));
  bind_action(failover, ctx, [&ctx, a](ApiClient& client) -> Status {
    const boost::json::object body{{"to", a->target}, {"force", a->force}, {"dry_run", a->dry_run}};
    auto reply = client.call("POST", "/api/v1/pools/" + percent_encode(a->pool) + "/failover", body);
    if (!reply) return reply.error();
    if (ctx.options.json) {
      print_json(*reply);
    } else {
      std::cout << (a->dry_run ? "Would " : "Started: ") << text(*reply, "plan") << "\n";
    }
    if (a->dry_run || a->no_wait) return {};
    return wait_until_active(client, a->pool, a->target, a->timeout_s);
  });
}

}  // namespace balctl::cli
