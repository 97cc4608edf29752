#include "server/app/server_app.hpp"

#include <csignal>
#include <sys/resource.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "common/cpu_affinity.hpp"
#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/heap.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "common/version.hpp"
#include "server/alerts/alert_dispatcher.hpp"
#include "server/alerts/alert_service.hpp"
#include "server/api/admin_api.hpp"
#include "server/api/agent_api.hpp"
#include "server/api/agent_assets.hpp"
#include "server/app/data_dir_lock.hpp"
#include "server/auth/admin_tokens.hpp"
#include "server/auth/secret_box.hpp"
#include "server/auth/signing_key.hpp"
#include "server/dns/dns_bindings.hpp"
#include "server/events/event_log.hpp"
#include "server/failover/failover_service.hpp"
#include "server/inventory/enrolment.hpp"
#include "server/inventory/fleet_service.hpp"
#include "server/fleet/registry.hpp"
#include "server/http/http_server.hpp"
#include "server/http/tls.hpp"
#include "server/liveness/heartbeat_service.hpp"
#include "server/liveness/liveness_table.hpp"
#include "server/liveness/persister.hpp"
#include "server/store/store.hpp"

namespace balctl::app {
namespace {

namespace asio = boost::asio;
constexpr auto kShutdownDeadline = std::chrono::seconds(10);
constexpr auto kShutdownPoll = std::chrono::milliseconds(50);
constexpr auto kHeapTrimInterval = std::chrono::seconds(60);

// One agent connection per member: make sure the descriptor limit is not what caps the fleet.
void raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

std::string system_hostname() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  return name;
}

std::string default_public_url(const ListenAddress& listen, bool tls) {
  std::string host = listen.host;
  if (host == "0.0.0.0" || host == "::") host = system_hostname();
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return std::string(tls ? "https://" : "http://") + host + ":" + std::to_string(listen.port);
}

std::string host_of_url(const std::string& url) {
  auto rest = url.substr(url.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  if (!rest.empty() && rest.front() == '[') return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.rfind(':') == std::string::npos ? rest.size() : rest.rfind(':'));
}

struct TlsSetup {
  std::shared_ptr<asio::ssl::context> context;
  std::string pin;          // set when the certificate is our self-signed one
  std::string certificate;  // its PEM, for /api/v1/agent/ca.pem
};

Result<TlsSetup> setup_tls(const ServeOptions& options, const ListenAddress& listen,
                           const std::string& public_url) {
  if (options.insecure_http) return TlsSetup{};
  auto cert = options.tls_cert;
  auto key = options.tls_key;
  const bool self_signed = cert.empty();
  if (self_signed) {
    cert = options.data_dir / "tls.crt";
    key = options.data_dir / "tls.key";
    const std::vector<std::string> names = {system_hostname(), listen.host, host_of_url(public_url)};
    if (auto status = http::ensure_self_signed(cert, key, names); !status) return status.error();
  }
  auto context = http::make_server_context(cert, key);
  if (!context) return context.error();
  TlsSetup setup{*context, {}};
  if (self_signed) {
    auto pin = http::public_key_pin(cert);
    if (!pin) return pin.error();
    setup.pin = *pin;
    auto pem = files::read(cert);
    if (!pem) return pem.error();
    setup.certificate = *pem;
  }
  return setup;
}

// Everything the running server owns, in construction order.
struct Components {
  explicit Components(std::unique_ptr<store::Store> s)
      : store(std::move(s)), events(*store), tokens(*store, events) {}
  std::unique_ptr<store::Store> store;
  events::EventLog events;
  auth::AdminTokens tokens;
  fleet::Registry registry;
  std::unique_ptr<liveness::LivenessTable> liveness;
  std::unique_ptr<inventory::FleetService> fleet;
  std::unique_ptr<inventory::EnrolmentService> enrolment;
  std::unique_ptr<liveness::HeartbeatService> heartbeats;
  std::unique_ptr<auth::SecretBox> secrets;
  std::unique_ptr<dns::DnsBindings> dns;
  std::unique_ptr<failover::FailoverService> failover;
  std::unique_ptr<alerts::AlertService> alerts;
  std::unique_ptr<alerts::AlertDispatcher> dispatcher;
  http::Router router;
};

int fail_start(const Error& error) {
  spdlog::critical("start_failed error={}", log::value(error.message));
  return 1;
}

void wait_for_drain(asio::steady_timer& timer, http::HttpServer& server, asio::io_context& io,
                    std::chrono::steady_clock::time_point deadline) {
  if (server.open_connections() == 0 || std::chrono::steady_clock::now() >= deadline) {
    io.stop();
    return;
  }
  timer.expires_after(kShutdownPoll);
  timer.async_wait([&timer, &server, &io, deadline](boost::system::error_code) {
    wait_for_drain(timer, server, io, deadline);
  });
}

// glibc keeps freed memory in its arenas: start-up loads every row into temporaries, and bursts of
// connections leave free holes between long-lived member state. Handing them back to the kernel keeps
// the resident size at what the fleet really needs (measured: 45 -> 40 MB at 10 000 members). Runs on
// the main thread, which is also I/O thread 0; measured 0.3-6 ms per call in steady state (up to ~40 ms
// right after tens of megabytes were freed). Under jemalloc (the `balctl` binary) this is a no-op: its
// background thread does the same continuously.
void release_heap_periodically(asio::steady_timer& timer) {
  heap::release_free_memory();
  timer.expires_after(kHeapTrimInterval);
  timer.async_wait([&timer](boost::system::error_code ec) {
    if (!ec) release_heap_periodically(timer);
  });
}

// --cpu-affinity auto: each I/O thread on a CPU of its own, like nginx's `worker_cpu_affinity auto`. Why: on
// a small VM the kernel sometimes runs both I/O threads on one vCPU, taking turns of a scheduler tick, for
// 100 ms and more while the other vCPU idles, and every heartbeat on the waiting thread's connections
// waits with it (bench/README.md, "Finding where fixed-rate latency goes"). Off by default, as in nginx: a
// pinned thread cannot move away from a CPU that something else keeps busy, which is worse on a machine
// the control plane shares. Returns the CPU of each I/O thread (empty: none pinned).
Result<std::vector<int>> io_thread_cpus(const ServeOptions& options, int threads) {
  if (options.cpu_affinity != "auto") return std::vector<int>{};
  auto allowed = cpu::allowed_cpus();
  if (!allowed) return allowed.error();
  return cpu::spread_over(*allowed, static_cast<std::size_t>(threads));
}

void pin_io_thread(const std::vector<int>& cpus, std::size_t index) {
  if (index >= cpus.size()) return;
  if (auto status = cpu::pin_current_thread(cpus[index]); !status)
    spdlog::warn("cpu_affinity_failed thread={} error={}", index, log::value(status.error().message));
}

}  // namespace

int run_server(const ServeOptions& options) {
  heap::tune_for_server();
  log::setup(log::Style::timestamped, *log::parse_level(options.log_level));
  crypto::init();
  // A peer that vanishes mid-write must be an error on that connection, not the end of the process
  // (OpenSSL writes to sockets with write(2), which raises SIGPIPE).
  std::signal(SIGPIPE, SIG_IGN);
  ::umask(077);  // database, WAL, keys and tokens are readable by the service user only
  raise_file_limit();
  const auto listen = *parse_listen(options.listen);
  const std::string public_url =
      options.public_url.empty() ? default_public_url(listen, !options.insecure_http) : options.public_url;

  if (auto status = files::ensure_directory(options.data_dir, 0700); !status)
    return fail_start(status.error());
  // Before the database is opened: a second server on this directory must not even run its migrations.
  auto data_dir_lock = DataDirLock::acquire(options.data_dir);
  if (!data_dir_lock) return fail_start(data_dir_lock.error());
  auto store = store::open_sqlite_store(options.data_dir / "balctl.db");
  if (!store) return fail_start(store.error());
  Components c(std::move(*store));
  if (auto status = c.tokens.bootstrap(options.data_dir / "admin.token"); !status)
    return fail_start(status.error());
  auto signing_key = auth::load_or_create_signing_key(options.data_dir / "signing.key");
  if (!signing_key) return fail_start(signing_key.error());
  auto tls = setup_tls(options, listen, public_url);
  if (!tls) return fail_start(tls.error());

  c.liveness = std::make_unique<liveness::LivenessTable>(options.report_interval_s * 1000);
  c.fleet = std::make_unique<inventory::FleetService>(*c.store, c.registry, *c.liveness, c.events,
                                                  inventory::AgentEndpoint{public_url, tls->pin});
  if (auto status = c.fleet->load(); !status) return fail_start(status.error());
  c.enrolment = std::make_unique<inventory::EnrolmentService>(
      *c.store, c.registry, *c.liveness, c.events,
      inventory::EnrolmentSettings{options.heartbeat_interval_ms, crypto::base64(signing_key->public_key)});
  c.heartbeats = std::make_unique<liveness::HeartbeatService>(
      c.registry, *c.liveness, c.events, liveness::HeartbeatSettings{options.heartbeat_interval_ms});
  auto secrets = auth::SecretBox::open(options.data_dir / "secrets.key");
  if (!secrets) return fail_start(secrets.error());
  c.secrets = std::make_unique<auth::SecretBox>(std::move(*secrets));
  c.dns = std::make_unique<dns::DnsBindings>(*c.store, *c.secrets, c.events);
  c.alerts = std::make_unique<alerts::AlertService>(*c.store, *c.secrets, c.events);
  c.dispatcher =
      std::make_unique<alerts::AlertDispatcher>([&c] { return c.alerts->channels(); }, alerts::AlertPolicy{});
  c.dispatcher->start();
  c.events.set_listener([&c](const store::EventRecord& event) { c.dispatcher->on_event(event); });
  failover::FailoverSettings failover_settings;
  failover_settings.interval_ms = options.heartbeat_interval_ms;
  failover_settings.record_check_ms = options.dns_check_interval_s * 1000;
  c.failover = std::make_unique<failover::FailoverService>(*c.store, c.registry, *c.liveness, c.events,
                                                           *c.dns, failover_settings);
  c.fleet->set_observer(c.failover.get());
  c.enrolment->set_observer(c.failover.get());
  c.heartbeats->set_observer(c.failover.get());
  // The removal of an active waits for its cutover; the engine then asks for the removal itself.
  c.failover->set_member_remover([&c](std::int64_t member_id, const std::string& actor) -> Status {
    const auto member = c.registry.find(member_id);
    if (!member) return {};  // already gone
    return c.fleet->remove_member(member->pool.name, member->member.hostname, actor);
  });
  c.dns->on_change([&c](std::int64_t pool_id) { c.failover->dns_binding_changed(pool_id); });
  if (auto status = c.failover->start(); !status) return fail_start(status.error());
  api::add_system_routes(c.router);
  api::add_agent_routes(c.router, api::AgentApi{*c.enrolment, *c.heartbeats, tls->certificate,
                                                std::make_shared<api::AgentBinary>(
                                                    options.agent_binary.empty() ? api::default_agent_binary()
                                                                                 : options.agent_binary)});
  const api::AdminApi admin{c.tokens, *c.fleet, c.events, *c.dns, *c.failover, *c.alerts};
  api::add_pool_routes(c.router, admin);
  api::add_member_routes(c.router, admin);
  api::add_admin_routes(c.router, admin);
  api::add_failover_routes(c.router, admin);
  api::add_alert_routes(c.router, admin);

  const int threads = options.threads > 0
                          ? options.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const auto io_cpus = io_thread_cpus(options, threads);
  if (!io_cpus) return fail_start(io_cpus.error());
  asio::io_context io(1);
  http::ServerLimits limits;
  limits.max_body_bytes = static_cast<std::size_t>(options.max_body_bytes);
  limits.read_timeout = std::chrono::milliseconds(options.read_timeout_ms);
  limits.header_timeout = std::chrono::milliseconds(options.header_timeout_ms);
  limits.max_connections = static_cast<std::size_t>(options.max_connections);
  limits.max_connections_per_address = static_cast<std::size_t>(options.max_connections_per_ip);
  auto client_address = http::ClientAddressPolicy::make(options.trusted_proxies, options.client_ip_header);
  if (!client_address) return fail_start(client_address.error());
  http::HttpServer server(io, c.router, tls->context, limits, static_cast<std::size_t>(threads),
                          std::move(*client_address));
  if (auto status = server.listen(listen.host, listen.port); !status) return fail_start(status.error());

  liveness::Persister persister(*c.store, *c.liveness, c.registry, c.events,
                                std::chrono::milliseconds(options.flush_interval_ms), time::steady_ms_now());
  persister.start();
  (void)c.events.record({0, 0, events::kind::kServerStarted, "", "", "system",
                         std::string("balctl ") + kVersion + " listening on " + listen.host + ":" +
                             std::to_string(server.port())});
  spdlog::info("ready version={} listen={}:{} tls={} public_url={} data_dir={} malloc=\"{}\"", kVersion,
               listen.host, server.port(),
               options.insecure_http ? "off" : (tls->pin.empty() ? "provided" : "self-signed"), public_url,
               options.data_dir.string(), heap::allocator_name());

  asio::signal_set signals(io, SIGTERM, SIGINT);
  asio::steady_timer drain_timer(io);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (ec) return;
    spdlog::info("shutdown_requested signal={} open_connections={}", signal, server.open_connections());
    server.begin_shutdown();
    wait_for_drain(drain_timer, server, io, std::chrono::steady_clock::now() + kShutdownDeadline);
  });

  asio::steady_timer heap_trim_timer(io);
  release_heap_periodically(heap_trim_timer);
  spdlog::info("io_threads count={} cpu_affinity={} cpus={}", threads, options.cpu_affinity,
               io_cpus->empty() ? "any" : cpu::cpu_list(*io_cpus));
  // Pinned last: the threads started before (persister, failover, alerts) keep every CPU.
  server.start_threads([&cpus = *io_cpus](std::size_t index) { pin_io_thread(cpus, index); });
  pin_io_thread(*io_cpus, 0);
  io.run();
  server.stop_threads();

  c.failover->stop();
  persister.stop();
  c.events.set_listener(nullptr);
  c.dispatcher->stop();
  if (auto status = c.store->flush(); !status)
    spdlog::warn("store_flush_failed error={}", log::value(status.error().message));
  spdlog::info("stopped");
  return 0;
}

}  // namespace balctl::app
