// balctl: the control plane (`balctl serve`) and the admin CLI in one binary.
// Exit codes: 0 success, 1 the operation failed (server unreachable, API error), 2 usage error.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "common/version.hpp"
#include "server/app/serve_options.hpp"
#include "server/app/server_app.hpp"

namespace {

void add_serve_command(CLI::App& app, balctl::cli::CommandContext& ctx, balctl::app::ServeOptions& options) {
  auto* serve = app.add_subcommand("serve", "Run the control plane");
  balctl::app::add_serve_options(*serve, options);
  serve->callback([&ctx, &options, serve] {
    ctx.action = [&options, serve] {
      if (auto status = balctl::app::validate(options); !status) {
        std::cerr << "balctl serve: " << status.error().message << "\n\n" << serve->help();
        return 2;
      }
      return balctl::app::run_server(options);
    };
  });
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"balctl: keep a service reachable when its HAProxy load balancer dies (DNS failover)", "balctl"};
  app.set_version_flag("--version", std::string("balctl ") + balctl::kVersion);
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the verb: balctl pool list --json

  balctl::cli::CommandContext ctx;
  balctl::app::ServeOptions serve_options;
  balctl::cli::add_client_options(app, ctx.options);
  add_serve_command(app, ctx, serve_options);
  balctl::cli::add_pool_commands(app, ctx);
  balctl::cli::add_member_commands(app, ctx);
  balctl::cli::add_token_commands(app, ctx);
  balctl::cli::add_status_commands(app, ctx);
  balctl::cli::add_dns_commands(app, ctx);
  balctl::cli::add_failover_commands(app, ctx);
  balctl::cli::add_alert_commands(app, ctx);

  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --version
  } catch (const CLI::ParseError& e) {
    std::cerr << "balctl: " << e.what() << "\n\n" << app.help();
    return 2;
  }
  return ctx.action ? ctx.action() : 2;
}
