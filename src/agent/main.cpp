// balctl-agent: runs on every load-balancer VM as balctl-heartbeat.service.
//   balctl-agent --enrol --key KEY --hostname H --api-base URL [--config-dir DIR]
//   balctl-agent [--once] [--config-dir DIR] [--state-dir DIR] [--log-level L]
// Exit codes: 0 success, 1 failure (one clear line), 2 usage error.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <iostream>
#include <thread>

#include "agent/agent_env.hpp"
#include "agent/enrol_command.hpp"
#include "agent/heartbeat_loop.hpp"
#include "agent/sampler.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/version.hpp"

namespace {

using namespace balctl;

struct RunOptions {
  std::filesystem::path config_dir = "/etc/balctl";
  std::filesystem::path state_dir = "/var/lib/balctl";
  std::string log_level = "info";
  bool once = false;
};

agent::SamplerSettings sampler_settings(const agent::AgentConfig& config) {
  agent::SamplerSettings settings;
  settings.haproxy_socket = config.haproxy_socket;
  settings.haproxy_unit = config.haproxy_unit;
  settings.haproxy_pidfile = config.haproxy_pidfile;
  return settings;
}

// Waits for SIGTERM/SIGINT (stop) and SIGHUP (reload agent.env) on the main thread.
void handle_signals(const sigset_t& signals, const RunOptions& options, agent::HeartbeatLoop& loop) {
  while (true) {
    int signal = 0;
    if (::sigwait(&signals, &signal) != 0) continue;
    if (signal != SIGHUP) {
      spdlog::info("stopping signal={}", signal);
      return;
    }
    auto config = agent::load_agent_env(options.config_dir);
    if (!config) {
      spdlog::error("reload_failed error=\"{}\" keeping=previous_config", config.error().message);
      continue;
    }
    loop.reload(*config);
  }
}

int run(const RunOptions& options) {
  log::setup(log::Style::journald, *log::parse_level(options.log_level));
  auto config = agent::load_agent_env(options.config_dir);
  if (!config) {
    spdlog::critical("cannot_start error=\"{}\"", config.error().message);
    return 1;
  }
  if (auto status = files::ensure_directory(options.state_dir, 0700); !status) {
    spdlog::critical("cannot_start error=\"{}\"", status.error().message);
    return 1;
  }
  // Signals are taken by sigwait() on the main thread only; block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  for (const int s : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  agent::Sampler sampler(sampler_settings(*config));
  agent::HeartbeatLoop loop(*config, sampler, agent::LoopTiming{});
  sampler.collect_now();
  if (options.once) {
    const auto status = loop.send_once();
    if (!status) {
      spdlog::error("heartbeat_failed code={} error=\"{}\"", status.error().code, status.error().message);
      return 1;
    }
    spdlog::info("heartbeat_sent once=true");
    return 0;
  }
  spdlog::info("started version={} api_base={} member_id={} haproxy_socket={}", kVersion, config->api_base,
               config->member_id, config->haproxy_socket);
  sampler.start([&loop] { loop.nudge(); });
  std::thread worker([&loop] { loop.run(); });
  handle_signals(signals, options, loop);
  loop.stop();
  sampler.stop();
  worker.join();
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"balctl-agent: reports this load balancer to the balctl control plane", "balctl-agent"};
  app.set_version_flag("--version", std::string("balctl-agent ") + balctl::kVersion);
  RunOptions run_options;
  agent::EnrolOptions enrol;
  bool enrol_mode = false;
  app.add_option("--config-dir", run_options.config_dir, "Directory of agent.env")->capture_default_str();
  app.add_option("--state-dir", run_options.state_dir, "Directory for state kept across restarts")
      ->capture_default_str();
  app.add_option("--log-level", run_options.log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "warning", "error", "off"}))
      ->capture_default_str();
  auto* once = app.add_flag("--once", run_options.once, "Send one heartbeat and exit (0 on success)");
  auto* enrol_flag = app.add_flag("--enrol", enrol_mode, "Exchange a one-time key for this member's secret");
  auto* key = app.add_option("--key", enrol.key, "One-time enrollment key (from 'balctl member add')");
  auto* hostname = app.add_option("--hostname", enrol.hostname, "This member's host name as added to the pool");
  auto* api_base = app.add_option("--api-base", enrol.api_base, "Control plane URL, e.g. https://cp:8443");
  auto* ca_cert = app.add_option("--ca-cert", enrol.ca_cert, "Trust this CA or self-signed server certificate");
  auto* pin = app.add_option("--pin", enrol.pinned_key, "Trust exactly this server key (sha256//BASE64)");
  auto* force = app.add_flag("--force", enrol.force, "Re-enrol a host that already has agent.env");
  auto* insecure = app.add_flag("--insecure", enrol.insecure, "Do not verify the server certificate (testing only)");
  auto* bind = app.add_option("--bind-address", enrol.bind_address, "Source address for the enrolment request");
  for (auto* option : {key, hostname, api_base}) option->needs(enrol_flag);
  for (auto* option : {ca_cert, pin, force, insecure, bind}) option->needs(enrol_flag);
  enrol_flag->needs(key)->needs(hostname)->needs(api_base)->excludes(once);
  ca_cert->excludes(pin);
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "balctl-agent: " << e.what() << "\n\n" << app.help();
    return 2;
  }
  if (enrol_mode) {
    enrol.config_dir = run_options.config_dir;
    return agent::run_enrol(enrol);
  }
  return run(run_options);
}
