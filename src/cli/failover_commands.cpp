#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/pool_wait.hpp"

namespace balctl::cli {
namespace {

struct FailoverArgs {
  std::string pool;
  std::string target;
  bool force = false;
  bool dry_run = false;
  bool no_wait = false;
  bool cancel = false;
  bool retry_now = false;
  int timeout_s = 30;
};

std::string failover_path(const std::string& pool) { return "/api/v1/pools/" + percent_encode(pool) + "/failover"; }

// Done when `target` is active, no switch is under way, and (with a provider) the record is not known to
// point elsewhere: a re-publish to the active ends when the record matches.
std::optional<std::string> target_active(const boost::json::object& pool, const std::string& target) {
  const auto& failover = pool.at("failover").as_object();
  if (text(pool, "active_member") != target || text(failover, "phase") == "switching") return std::nullopt;
  if (const auto* record = failover.if_contains("record"); record != nullptr && record->is_object()) {
    if (text(record->as_object(), "state") == "mismatch") return std::nullopt;
  }
  return text(pool, "hostname") + " now points at " + target + " (" + text(failover, "published_ipv4") + ").";
}

Status cancel_or_retry(ApiClient& client, const FailoverArgs& a, bool json) {
  const std::string verb = a.cancel ? "/cancel" : "/retry";
  return print_reply(client.call("POST", failover_path(a.pool) + verb, boost::json::object{}), json,
                     [](const boost::json::object& reply) { std::cout << text(reply, "plan") << "\n"; });
}

}  // namespace

void add_failover_commands(CLI::App& app, CommandContext& ctx) {
  auto a = std::make_shared<FailoverArgs>();
  auto* failover = app.add_subcommand("failover", "Move the pool's DNS record to another member (manual cutover)");
  failover->add_option("POOL", a->pool, "Pool name")->required();
  auto* to = failover->add_option("--to", a->target, "The member to make active (the active itself: re-publish)");
  failover->add_flag("--force", a->force, "Move even to a member that is not failover-ready");
  failover->add_flag("--dry-run", a->dry_run, "Only print what would happen");
  failover->add_flag("--no-wait", a->no_wait, "Return once the change has started");
  failover->add_option("--timeout", a->timeout_s, "Seconds to wait for the change to be verified (1-600)")
      ->check(CLI::Range(1, 600));
  auto* cancel = failover->add_flag("--cancel", a->cancel,
                                    "Stop the failover in progress (automatic failover is then held for the dwell)");
  auto* retry = failover->add_flag("--retry-now", a->retry_now,
                                   "Start the next attempt of the failover in progress now, not after its backoff");
  cancel->excludes(retry)->excludes(to);
  retry->excludes(to);
  bind_action(failover, ctx, [&ctx, a](ApiClient& client) -> Status {
    if (a->cancel || a->retry_now) return cancel_or_retry(client, *a, ctx.options.json);
    if (a->target.empty()) return usage_error("failover: give --to HOSTNAME, --cancel or --retry-now");
    const boost::json::object body{{"to", a->target}, {"force", a->force}, {"dry_run", a->dry_run}};
    auto reply = client.call("POST", failover_path(a->pool), body);
    if (!reply) return reply.error();
    if (ctx.options.json) {
      print_json(*reply);
    } else {
      std::cout << (a->dry_run ? "Would " : "Started: ") << text(*reply, "plan") << "\n";
    }
    if (a->dry_run || a->no_wait) return {};
    return wait_for_pool(client, a->pool, a->timeout_s, "the cutover to " + a->target,
                         [a](const boost::json::object& pool) { return target_active(pool, a->target); });
  });
}

}  // namespace balctl::cli
