#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "common/files.hpp"

namespace balctl::cli {
namespace {

struct AlertArgs {
  std::string name;
  std::string webhook;
  bool slack = false;
  std::string secret;
  std::string secret_file;
  std::string email;  // comma separated recipients
  std::string smtp;
  std::string from;
  std::string smtp_user;
  bool no_starttls = false;
  std::string ca_cert;
};

Result<boost::json::object> channel_body(const AlertArgs& a) {
  std::string secret = a.secret;
  if (!a.secret_file.empty()) {
    auto text = files::read(a.secret_file, 64 * 1024);
    if (!text) return usage_error("cannot read --secret-file: " + text.error().message);
    secret = *text;
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  }
  if (a.webhook.empty() == a.email.empty()) return usage_error("give exactly one of --webhook URL or --email ADDRESS");
  if (!a.webhook.empty()) {
    return boost::json::object{{"name", a.name}, {"kind", "webhook"}, {"url", a.webhook},
                               {"format", a.slack ? "slack" : "json"}, {"secret", secret}};
  }
  if (a.smtp.empty() || a.from.empty()) return usage_error("--email needs --smtp URL and --from ADDRESS");
  boost::json::array to;
  std::size_t start = 0;
  while (start <= a.email.size()) {
    const auto comma = std::min(a.email.find(',', start), a.email.size());
    to.push_back(boost::json::string(a.email.substr(start, comma - start)));
    start = comma + 1;
  }
  boost::json::object body{{"name", a.name},  {"kind", "email"},        {"smtp_url", a.smtp},
                           {"from", a.from},  {"to", std::move(to)},     {"username", a.smtp_user},
                           {"password", secret}, {"starttls", !a.no_starttls}};
  if (!a.ca_cert.empty()) body["ca_cert"] = a.ca_cert;
  return body;
}

}  // namespace

void add_alert_commands(CLI::App& app, CommandContext& ctx) {
  auto* alert = app.add_subcommand("alert", "Send alerts to webhooks (JSON or Slack) and email")->require_subcommand(1);
  auto a = std::make_shared<AlertArgs>();

  auto* add = alert->add_subcommand("add", "Add an alert channel");
  add->add_option("NAME", a->name, "Channel name")->required();
  add->add_option("--webhook", a->webhook, "POST alerts as JSON to this URL");
  add->add_flag("--slack", a->slack, "Send a Slack-compatible {\"text\": ...} body");
  add->add_option("--secret,--smtp-password", a->secret, "Webhook HMAC secret, or the SMTP password");
  add->add_option("--secret-file", a->secret_file, "Read the secret from this file instead");
  add->add_option("--email", a->email, "Send alerts by email to these addresses (comma separated)");
  add->add_option("--smtp", a->smtp, "SMTP server, smtp://host:587 (STARTTLS) or smtps://host:465");
  add->add_option("--from", a->from, "Sender address");
  add->add_option("--smtp-user", a->smtp_user, "SMTP user name");
  add->add_flag("--no-starttls", a->no_starttls, "Do not require STARTTLS on smtp:// (local relays only)");
  add->add_option("--ca-cert", a->ca_cert, "CA file the control plane trusts for the SMTP server");
  bind_action(add, ctx, [&ctx, a](ApiClient& client) -> Status {
    auto body = channel_body(*a);
    if (!body) return body.error();
    return print_reply(client.call("POST", "/api/v1/alerts", *body), ctx.options.json,
                       [](const boost::json::object& r) {
                         std::cout << "Added " << text(r, "kind") << " alert channel " << text(r, "name") << ".\n";
                       });
  });

  auto* list = alert->add_subcommand("list", "List alert channels");
  bind_action(list, ctx, [&ctx](ApiClient& client) {
    return print_reply(client.call("GET", "/api/v1/alerts"), ctx.options.json, [](const boost::json::object& r) {
      Table table({"NAME", "KIND", "TARGET"});
      for (const auto& item : r.at("channels").as_array()) {
        const auto& c = item.as_object();
        const std::string target = text(c, "kind") == "webhook" ? text(c, "url") + " (" + text(c, "format") + ")"
                                                               : text(c, "smtp_url");
        table.add({text(c, "name"), text(c, "kind"), target});
      }
      table.print(std::cout);
    });
  });

  auto* remove = alert->add_subcommand("remove", "Remove an alert channel");
  remove->add_option("NAME", a->name, "Channel name")->required();
  bind_action(remove, ctx, [&ctx, a](ApiClient& client) {
    return print_reply(client.call("DELETE", "/api/v1/alerts/" + percent_encode(a->name)), ctx.options.json,
                       [a](const boost::json::object&) { std::cout << "Removed alert channel " << a->name << ".\n"; });
  });

  auto* test = alert->add_subcommand("test", "Send a test alert through a channel now");
  test->add_option("NAME", a->name, "Channel name")->required();
  bind_action(test, ctx, [&ctx, a](ApiClient& client) {
    return print_reply(client.call("POST", "/api/v1/alerts/" + percent_encode(a->name) + "/test", boost::json::object{}),
                       ctx.options.json,
                       [a](const boost::json::object&) { std::cout << "Test alert delivered via " << a->name << ".\n"; });
  });
}

}  // namespace balctl::cli
