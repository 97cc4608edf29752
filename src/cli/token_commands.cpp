#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"

namespace balctl::cli {

void add_token_commands(CLI::App& app, CommandContext& ctx) {
  auto* token = app.add_subcommand("token", "Create, list and revoke admin API tokens")->require_subcommand(1);
  auto name = std::make_shared<std::string>();

  auto* create = token->add_subcommand("create", "Create a named token; it is printed once");
  create->add_option("NAME", *name, "Token name (a-z, 0-9, '-', '_')")->required();
  bind_action(create, ctx, [&ctx, name](ApiClient& client) {
    return print_reply(client.call("POST", "/api/v1/tokens", boost::json::object{{"name", *name}}), ctx.options.json,
                       [](const boost::json::object& reply) {
                         std::cout << "Token " << text(reply, "name") << " (shown once, store it now):\n"
                                   << text(reply, "token") << "\n";
                       });
  });

  auto* list = token->add_subcommand("list", "List token names");
  bind_action(list, ctx, [&ctx](ApiClient& client) {
    return print_reply(client.call("GET", "/api/v1/tokens"), ctx.options.json, [](const boost::json::object& reply) {
      Table table({"NAME", "CREATED"});
      for (const auto& item : reply.at("tokens").as_array()) {
        table.add({text(item.as_object(), "name"), text(item.as_object(), "created_at")});
      }
      table.print(std::cout);
    });
  });

  auto* revoke = token->add_subcommand("revoke", "Revoke a token by name");
  revoke->add_option("NAME", *name, "Token name")->required();
  bind_action(revoke, ctx, [&ctx, name](ApiClient& client) {
    return print_reply(client.call("DELETE", "/api/v1/tokens/" + percent_encode(*name)), ctx.options.json,
                       [name](const boost::json::object&) { std::cout << "Revoked token " << *name << ".\n"; });
  });
}

}  // namespace balctl::cli
