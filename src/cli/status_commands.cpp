#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace balctl::cli {
namespace {

constexpr auto kFollowPoll = std::chrono::seconds(1);

struct EventArgs {
  bool follow = false;
  std::string pool;
  std::int64_t limit = 50;
};

// Prints one page of events and returns the id of the last one printed.
std::int64_t print_events(const boost::json::object& reply, std::int64_t after, bool json) {
  for (const auto& item : reply.at("events").as_array()) {
    const auto& e = item.as_object();
    if (json) {
      print_json(e);
    } else {
      std::cout << text(e, "at") << "  " << text(e, "kind") << "  " << (text(e, "pool") == "-" ? "" : text(e, "pool") + " ")
                << (text(e, "member") == "-" ? "" : text(e, "member") + " ") << "[" << text(e, "actor") << "] "
                << text(e, "message") << "\n";
    }
    after = std::max<std::int64_t>(after, e.at("id").to_number<std::int64_t>());
  }
  std::cout.flush();
  return after;
}

Status run_events(ApiClient& client, const EventArgs& args, bool json) {
  std::int64_t after = 0;
  std::int64_t limit = args.limit;
  const std::string pool = args.pool.empty() ? "" : "&pool=" + percent_encode(args.pool);
  while (true) {
    auto reply = client.call("GET", "/api/v1/events?after=" + std::to_string(after) + "&limit=" +
                                        std::to_string(limit) + pool);
    if (!reply) return reply.error();
    after = print_events(*reply, after, json);
    if (!args.follow) return {};
    limit = 1000;
    std::this_thread::sleep_for(kFollowPoll);
  }
}

}  // namespace

void add_status_commands(CLI::App& app, CommandContext& ctx) {
  auto* status = app.add_subcommand("status", "Summarise every pool: state, active member, members online");
  bind_action(status, ctx, [&ctx](ApiClient& client) {
    return print_reply(client.call("GET", "/api/v1/status"), ctx.options.json, [](const boost::json::object& reply) {
      Table table({"POOL", "HOSTNAME", "STATE", "ACTIVE", "ONLINE", "DELAY"});
      for (const auto& item : reply.at("pools").as_array()) {
        const auto& p = item.as_object();
        table.add({text(p, "name"), text(p, "hostname"), text(p, "state"), text(p, "active_member"),
                   text(p, "members_online") + "/" + text(p, "members_total"), text(p, "delay_s") + "s"});
      }
      table.print(std::cout);
    });
  });

  auto args = std::make_shared<EventArgs>();
  auto* events = app.add_subcommand("events", "Show the event log (enrolments, liveness, tokens, admin actions)");
  events->add_flag("--follow,-f", args->follow, "Keep printing new events as they happen");
  events->add_option("--pool", args->pool, "Only events of this pool");
  events->add_option("--limit", args->limit, "How many recent events to show first (1-1000)")->check(CLI::Range(1, 1000));
  bind_action(events, ctx, [&ctx, args](ApiClient& client) { return run_events(client, *args, ctx.options.json); });
}

}  // namespace balctl::cli
