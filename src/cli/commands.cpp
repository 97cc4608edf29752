#include "cli/commands.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace balctl::cli {

Error usage_error(std::string message) { return Error{Errc::invalid_argument, "usage", std::move(message), {}}; }

int run_with_client(CommandContext& context, const std::function<Status(ApiClient&)>& body) {
  ApiClient client(context.options);
  const auto status = body(client);
  if (status) return 0;
  const auto& error = status.error();
  std::cerr << "balctl: " << error.message;
  if (!error.field.empty() && error.message.find(error.field) == std::string::npos) std::cerr << " (" << error.field << ")";
  std::cerr << "\n";
  return error.code == "usage" ? 2 : 1;
}

void bind_action(CLI::App* command, CommandContext& context, std::function<Status(ApiClient&)> body) {
  command->callback([&context, body = std::move(body)] {
    context.action = [&context, body] { return run_with_client(context, body); };
  });
}

}  // namespace balctl::cli
