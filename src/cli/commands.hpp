// CLI verbs. Each add_* registers a verb group on the app; the parsed verb stores its action in the
// context, and main() runs it after parsing succeeded.
#pragma once

#include <functional>
#include <string>

#include "cli/api_client.hpp"
#include "common/result.hpp"

namespace CLI {
class App;
}

namespace balctl::cli {

struct CommandContext {
  ClientOptions options;
  std::function<int()> action;
};

// Runs `body` with an API client and turns an Error into a message on stderr and an exit code:
// 2 for usage problems, 1 for everything else.
int run_with_client(CommandContext& context, const std::function<Status(ApiClient&)>& body);

// Makes `body` the action of `command` when the command is the one parsed.
void bind_action(CLI::App* command, CommandContext& context, std::function<Status(ApiClient&)> body);

// An Error that main() reports as a usage problem (exit code 2).
Error usage_error(std::string message);

void add_pool_commands(CLI::App& app, CommandContext& context);
void add_member_commands(CLI::App& app, CommandContext& context);
void add_token_commands(CLI::App& app, CommandContext& context);
void add_status_commands(CLI::App& app, CommandContext& context);  // status, events
void add_dns_commands(CLI::App& app, CommandContext& context);
void add_failover_commands(CLI::App& app, CommandContext& context);
void add_alert_commands(CLI::App& app, CommandContext& context);

}  // namespace balctl::cli
