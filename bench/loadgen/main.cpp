// balctl-loadgen: drives a running balctl control plane (or, for the baseline, nginx) on 127.0.0.1.
//   enrol      create pools of K members (N in all) through the admin API, enrol each as an agent, save secrets
//   heartbeat  --load full: closed loop over C keep-alive connections (heartbeats/s)
//              --load fixed: open loop, every member once per period at its own phase, latency measured
//              from the scheduled send time
//   get        the closed-loop engine issuing GET of one URL path (the nginx static-file baseline)
//   idle       open K connections (optionally one heartbeat each) and hold them idle
//   body       write one sample heartbeat body to a file (for the baseline's static file)
// Output is key=value lines; every run prints its error counts by HTTP status and transport failure.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>

#include "bench/loadgen/engine.hpp"
#include "bench/loadgen/heartbeat_body.hpp"
#include "common/json.hpp"

namespace balctl::bench {
namespace {

constexpr auto kNoDurationLimit = std::chrono::hours(1);  // enrolment: bounded by its request count
constexpr const char* kHeartbeatPath = "/api/v1/agent/heartbeat";

struct Common {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string ca_cert;
  bool plain_http = false;
  int threads = 2;
  int timeout_ms = 10'000;

  Target target() const {
    Target t;
    t.host = host;
    t.port = port;
    t.tls = !plain_http;
    t.ca_cert = ca_cert;
    t.threads = threads;
    t.request_timeout = std::chrono::milliseconds(timeout_ms);
    return t;
  }
};

struct Member {
  std::int64_t id = 0;
  std::string hostname;
  std::string authorization;
  BodyTemplate body;
};

void raise_file_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

double percentile_ms(const std::vector<std::uint32_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1] / 1000.0;
}

std::string fixed(double value, int decimals = 2) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

// One summary line (prefix + figures), then one line per kind of error.
void report(const std::string& prefix, RunResult& result) {
  std::sort(result.latencies_us.begin(), result.latencies_us.end());
  const auto& l = result.latencies_us;
  std::cout << prefix << " ok=" << result.ok << " errors=" << result.errors
            << " elapsed_s=" << fixed(result.elapsed_s, 3) << " req_per_s="
            << fixed(result.elapsed_s > 0 ? static_cast<double>(result.ok) / result.elapsed_s : 0, 1)
            << " p50_ms=" << fixed(percentile_ms(l, 0.50), 3)
            << " p90_ms=" << fixed(percentile_ms(l, 0.90), 3)
            << " p99_ms=" << fixed(percentile_ms(l, 0.99), 3)
            << " p999_ms=" << fixed(percentile_ms(l, 0.999), 3)
            << " max_ms=" << fixed(l.empty() ? 0 : l.back() / 1000.0, 3)
            << " connections_opened=" << result.connections_opened;
  if (!result.service_latencies_us.empty()) {
    auto& service = result.service_latencies_us;
    std::sort(service.begin(), service.end());
    std::cout << " service_p50_ms=" << fixed(percentile_ms(service, 0.50), 3)
              << " service_p99_ms=" << fixed(percentile_ms(service, 0.99), 3);
  }
  if (result.stalls.meter != "off") {
    const auto& s = result.stalls;
    std::cout << " stall_meter=" << s.meter << " stalls_over_2ms=" << s.events
              << " stall_max_ms=" << fixed(s.max_ms, 1) << " stalled_cpu_ms=" << fixed(s.stalled_cpu_ms, 0)
              << " stall_window_s=" << fixed(s.window_s, 1);
  }
  std::cout << "\n";
  for (const auto& [status, count] : result.statuses) {
    std::cout << "error status=" << status << " count=" << count << "\n";
  }
  if (!result.first_error_body.empty()) std::cout << "error first_body=" << result.first_error_body << "\n";
  for (const auto& [failure, count] : result.failures) {
    std::cout << "error failure=\"" << failure << "\" count=" << count << "\n";
  }
  std::cout.flush();
}

std::string read_token(const std::string& file) {
  std::ifstream in(file);
  std::string token;
  std::getline(in, token);
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' '))
    token.pop_back();
  if (token.empty()) throw std::runtime_error("no admin token in " + file);
  return token;
}

// Secrets file: one "member_id secret hostname" line per member, in member order.
std::vector<Member> load_members(const std::string& file, std::size_t limit) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file);
  std::vector<Member> members;
  std::string line;
  while (members.size() < limit && std::getline(in, line)) {
    std::istringstream fields(line);
    Member m;
    std::string secret;
    if (!(fields >> m.id >> secret >> m.hostname)) continue;
    m.authorization = "Bearer " + secret;
    m.body = heartbeat_template(members.size(), m.hostname);
    members.push_back(std::move(m));
  }
  if (members.empty()) throw std::runtime_error("no members in " + file);
  return members;
}

HttpRequest heartbeat_request(const Member& member, std::uint64_t seq) {
  HttpRequest request;
  request.method = "POST";
  request.target = kHeartbeatPath;
  request.authorization = member.authorization;
  request.content_type = "application/json";
  request.body = member.body.with_seq(seq);
  return request;
}

// ---- enrol -------------------------------------------------------------------------------------------

struct EnrolOptions {
  std::string token_file;
  std::string pool = "bench";
  std::size_t members = 10'000;
  std::size_t pool_size = 2;  // members per pool, like a real fleet (an active and a standby)
  int connections = 4;
  std::string out;
};

int run_enrol(const Common& common, const EnrolOptions& o) {
  const auto target = common.target();
  const std::string admin = "Bearer " + read_token(o.token_file);
  const auto started = std::chrono::steady_clock::now();

  // Step 0: the pools, "<pool>-<i>" with pool_size members each.
  const std::size_t pools = (o.members + o.pool_size - 1) / o.pool_size;
  const auto pool_name = [&](std::size_t member) { return o.pool + "-" + std::to_string(member / o.pool_size); };
  std::atomic<std::size_t> next_pool{0};
  ClosedLoop create;
  create.connections = o.connections;
  create.duration = kNoDurationLimit;
  create.max_requests = pools;
  create.next = [&](std::size_t) -> std::optional<HttpRequest> {
    const auto i = next_pool.fetch_add(1);
    if (i >= pools) return std::nullopt;
    const std::string name = o.pool + "-" + std::to_string(i);
    HttpRequest request;
    request.method = "POST";
    request.target = "/api/v1/pools";
    request.authorization = admin;
    request.content_type = "application/json";
    // The longest failover delay: this measures heartbeat handling, and members are enrolled (and the
    // phases paused) for longer than a default delay before they report; failover has its own benchmark.
    request.body = json::to_string(boost::json::object{
        {"name", name}, {"hostname", name + ".example.com"}, {"preset", "haproxy"}, {"delay_s", 120}});
    return request;
  };
  create.on_reply = [](const HttpRequest&, const HttpReply&) {};
  auto created = run_closed_loop(target, create);
  report("enrol step=create_pools pools=" + std::to_string(pools), created);
  if (created.ok != pools) return 1;

  // Step 1: add every member (admin API) and keep its one-time enrollment key.
  std::vector<std::string> keys(o.members);
  std::atomic<std::size_t> next_member{0};
  ClosedLoop add;
  add.connections = o.connections;
  add.duration = kNoDurationLimit;
  add.max_requests = o.members;
  add.next = [&](std::size_t) -> std::optional<HttpRequest> {
    const auto m = next_member.fetch_add(1);
    if (m >= o.members) return std::nullopt;
    HttpRequest request;
    request.method = "POST";
    request.target = "/api/v1/pools/" + pool_name(m) + "/members";
    request.authorization = admin;
    request.content_type = "application/json";
    request.body =
        json::to_string(boost::json::object{{"hostname", member_hostname(m)}, {"ipv4", member_ipv4(m)}});
    request.tag = m;
    return request;
  };
  add.on_reply = [&](const HttpRequest& request, const HttpReply& reply) {
    if (reply.status != 201) return;
    const auto value = boost::json::parse(reply.body);
    keys[request.tag] = std::string(value.at("enrollment_key").as_string());
  };
  auto added = run_closed_loop(target, add);
  report("enrol step=add_members members=" + std::to_string(o.members), added);

  // Step 2: enrol each member as its agent would, exchanging the key for a member secret.
  std::vector<std::string> lines(o.members);
  next_member = 0;
  ClosedLoop enrol;
  enrol.connections = o.connections;
  enrol.duration = kNoDurationLimit;
  enrol.max_requests = o.members;
  enrol.next = [&](std::size_t) -> std::optional<HttpRequest> {
    auto m = next_member.fetch_add(1);
    while (m < o.members && keys[m].empty())
      m = next_member.fetch_add(1);  // its add failed: reported above
    if (m >= o.members) return std::nullopt;
    HttpRequest request;
    request.method = "POST";
    request.target = "/api/v1/agent/enrol";
    request.content_type = "application/json";
    request.body = json::to_string(
        boost::json::object{{"key", keys[m]}, {"hostname", member_hostname(m)}, {"agent_version", "0.1.0"}});
    request.tag = m;
    return request;
  };
  enrol.on_reply = [&](const HttpRequest& request, const HttpReply& reply) {
    if (reply.status != 200) return;
    const auto value = boost::json::parse(reply.body);
    lines[request.tag] = std::to_string(value.at("member_id").to_number<std::int64_t>()) + " " +
                         std::string(value.at("secret").as_string()) + " " + member_hostname(request.tag);
  };
  auto enrolled = run_closed_loop(target, enrol);
  report("enrol step=agent_enrol members=" + std::to_string(o.members), enrolled);

  std::ofstream out(o.out, std::ios::trunc);
  std::size_t written = 0;
  for (const auto& line : lines) {
    if (line.empty()) continue;
    out << line << "\n";
    ++written;
  }
  out.close();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::cout << "enrol members_enrolled=" << written << " members_requested=" << o.members
            << " seconds=" << fixed(seconds, 1) << " secrets_file=" << o.out << "\n";
  return written == o.members && out ? 0 : 1;
}

// ---- heartbeat ---------------------------------------------------------------------------------------

struct HeartbeatOptions {
  std::string secrets;
  std::size_t members = 0;  // 0: every member in the file
  std::string load = "full";
  int connections = -1;  // full: 64; fixed: 0 = one per member
  double duration_s = 20;
  double warmup_s = 0;  // fixed: sent on schedule before the measured window, not measured
  double rate_hz = 1;
  std::uint64_t max_requests = 100'000'000;
  unsigned seed = 1;
  bool stall_meter = false;  // fixed: StallMeter over the measured window (a diagnostic: it costs CPU)
};

int run_heartbeat(const Common& common, const HeartbeatOptions& o) {
  const auto members = load_members(o.secrets, o.members == 0 ? SIZE_MAX : o.members);
  const auto duration = std::chrono::milliseconds(static_cast<std::int64_t>(o.duration_s * 1000));
  const std::string sizes = " members=" + std::to_string(members.size()) +
                            " body_bytes=" + std::to_string(members[0].body.with_seq(1).size()) +
                            " client_threads=" + std::to_string(common.threads);
  RunResult result;
  if (o.load == "full") {
    const int connections = o.connections < 0 ? 64 : std::max(1, o.connections);
    // Connection c sends for members c, c+C, c+2C, ... in turn; seq counts per connection.
    std::vector<std::uint64_t> sent(static_cast<std::size_t>(connections), 0);
    ClosedLoop spec;
    spec.connections = connections;
    spec.duration = duration;
    spec.max_requests = o.max_requests;
    spec.next = [&](std::size_t c) -> std::optional<HttpRequest> {
      const auto k = sent[c]++;
      const auto& member = members[(c + k * static_cast<std::uint64_t>(connections)) % members.size()];
      return heartbeat_request(member, k + 1);
    };
    result = run_closed_loop(common.target(), spec);
    report("heartbeat load=full connections=" + std::to_string(connections) + sizes, result);
  } else if (o.load == "fixed") {
    const int connections = o.connections < 0 ? 0 : o.connections;
    OpenLoop spec;
    spec.members = members.size();
    spec.connections = connections;
    spec.period = std::chrono::milliseconds(static_cast<std::int64_t>(1000.0 / o.rate_hz));
    spec.duration = duration;
    spec.warmup = std::chrono::milliseconds(static_cast<std::int64_t>(o.warmup_s * 1000));
    spec.measure_stalls = o.stall_meter;
    // Agents start at unrelated times: each member's phase is uniform in the period (seeded).
    std::mt19937_64 random(o.seed);
    std::uniform_real_distribution<double> phase(0.0, 1.0);
    spec.phases.resize(members.size());
    for (auto& p : spec.phases)
      p = phase(random);
    spec.make = [&](std::size_t m, std::uint64_t round) { return heartbeat_request(members[m], round + 1); };
    result = run_open_loop(common.target(), spec);
    const auto open = connections == 0 ? members.size() : static_cast<std::size_t>(connections);
    report("heartbeat load=fixed rate_hz=" + fixed(o.rate_hz, 2) +
               " target_req_per_s=" + fixed(static_cast<double>(members.size()) * o.rate_hz, 0) +
               " connections=" + std::to_string(open) + sizes +
               " late_sends=" + std::to_string(result.late_sends),
           result);
  } else {
    throw std::runtime_error("--load must be full or fixed");
  }
  return 0;
}

// ---- get ---------------------------------------------------------------------------------------------

int run_get(const Common& common, const std::string& path, int connections, double duration_s,
            std::uint64_t max_requests) {
  ClosedLoop spec;
  spec.connections = connections;
  spec.duration = std::chrono::milliseconds(static_cast<std::int64_t>(duration_s * 1000));
  spec.max_requests = max_requests;
  std::size_t reply_bytes = 0;
  std::atomic<bool> seen{false};
  spec.next = [&](std::size_t) -> std::optional<HttpRequest> {
    HttpRequest request;
    request.target = path;
    return request;
  };
  spec.on_reply = [&](const HttpRequest&, const HttpReply& reply) {
    if (!seen.exchange(true)) reply_bytes = reply.body.size();
  };
  auto result = run_closed_loop(common.target(), spec);
  report("get path=" + path + " connections=" + std::to_string(connections) + " client_threads=" +
             std::to_string(common.threads) + " body_bytes=" + std::to_string(reply_bytes),
         result);
  return 0;
}

// ---- idle --------------------------------------------------------------------------------------------

int run_idle(const Common& common, int connections, double hold_s, const std::string& secrets,
             const std::string& ready_file) {
  std::vector<Member> members;
  if (!secrets.empty()) members = load_members(secrets, static_cast<std::size_t>(connections));
  auto warm = [&](std::size_t c) -> std::optional<HttpRequest> {
    if (members.empty()) return std::nullopt;
    return heartbeat_request(members[c % members.size()], 1'000'000 + c);
  };
  auto result = hold_idle(common.target(), connections,
                          std::chrono::milliseconds(static_cast<std::int64_t>(hold_s * 1000)), warm,
                          [&](std::uint64_t open) {
                            std::cout << "idle connections_open=" << open << "\n" << std::flush;
                            if (!ready_file.empty()) std::ofstream(ready_file) << open << "\n";
                          });
  report(
      "idle connections=" + std::to_string(connections) + " warmed=" + (members.empty() ? "no" : "heartbeat"),
      result);
  return 0;
}

int run_body(const std::string& out) {
  const auto body = heartbeat_template(0, member_hostname(0)).with_seq(1);
  std::ofstream file(out, std::ios::trunc | std::ios::binary);
  file << body;
  file.close();
  std::cout << "body bytes=" << body.size() << " file=" << out << "\n";
  return file ? 0 : 1;
}

int run(int argc, char** argv) {
  CLI::App app("balctl-loadgen: load generator for balctl's control plane (127.0.0.1 only)");
  app.require_subcommand(1);
  Common common;
  auto add_common = [&](CLI::App* command) {
    command->add_option("--port", common.port, "Server port on 127.0.0.1")->required();
    command->add_option("--host", common.host, "Loopback address of the server")->capture_default_str();
    command->add_option("--ca-cert", common.ca_cert, "PEM certificate to verify the server against")
        ->check(CLI::ExistingFile);
    command->add_flag("--plain-http", common.plain_http, "Plain HTTP instead of TLS");
    command->add_option("--threads", common.threads, "Client I/O threads")
        ->check(CLI::Range(1, 64))
        ->capture_default_str();
    command->add_option("--timeout-ms", common.timeout_ms, "Per-request deadline (connect, write, read)")
        ->check(CLI::Range(100, 600'000))
        ->capture_default_str();
  };

  EnrolOptions enrol;
  auto* enrol_cmd =
      app.add_subcommand("enrol", "Create pools and N members, enrol each, write their secrets");
  add_common(enrol_cmd);
  enrol_cmd->add_option("--token-file", enrol.token_file, "Admin token file")
      ->required()
      ->check(CLI::ExistingFile);
  enrol_cmd->add_option("--members", enrol.members, "Members to create")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  enrol_cmd->add_option("--pool", enrol.pool, "Pool name prefix (pools are PREFIX-0, PREFIX-1, ...)")
      ->capture_default_str();
  enrol_cmd->add_option("--pool-size", enrol.pool_size, "Members per pool")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  enrol_cmd->add_option("--connections", enrol.connections, "Parallel connections")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  enrol_cmd->add_option("--out", enrol.out, "Secrets file to write")->required();

  HeartbeatOptions hb;
  auto* hb_cmd = app.add_subcommand("heartbeat", "Send heartbeats: closed loop (full) or fixed rate (fixed)");
  add_common(hb_cmd);
  hb_cmd->add_option("--secrets", hb.secrets, "Secrets file written by enrol")
      ->required()
      ->check(CLI::ExistingFile);
  hb_cmd->add_option("--members", hb.members, "Use the first N members (0: all)")->capture_default_str();
  hb_cmd->add_option("--load", hb.load, "full (closed loop) or fixed (open loop at --rate-hz per member)")
      ->check(CLI::IsMember({"full", "fixed"}))
      ->capture_default_str();
  hb_cmd
      ->add_option("--connections", hb.connections,
                   "Keep-alive connections (full: default 64; fixed: default one per member)")
      ->check(CLI::Range(0, 1'000'000));
  hb_cmd->add_option("--duration-s", hb.duration_s, "Measured window")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  hb_cmd->add_option("--warmup-s", hb.warmup_s, "fixed: seconds sent on schedule before the measured window")
      ->check(CLI::Range(0.0, 600.0))
      ->capture_default_str();
  hb_cmd->add_flag("--stall-meter", hb.stall_meter,
                   "fixed: also count the machine's own stalls (a pinned 1 ms sleeper per CPU, SCHED_FIFO when "
                   "allowed; its 2 000 wake-ups a second on 2 CPUs cost the server under test some latency)");
  hb_cmd->add_option("--rate-hz", hb.rate_hz, "fixed: heartbeats per second per member")
      ->check(CLI::Range(0.01, 100.0))
      ->capture_default_str();
  hb_cmd->add_option("--max-requests", hb.max_requests, "full: stop after this many requests")
      ->capture_default_str();
  hb_cmd->add_option("--seed", hb.seed, "fixed: seed of the members' phases")->capture_default_str();

  std::string path = "/";
  int get_connections = 64;
  double get_duration_s = 20;
  std::uint64_t get_max_requests = 100'000'000;
  auto* get_cmd = app.add_subcommand("get", "Closed-loop GET of one path (static-file baseline)");
  add_common(get_cmd);
  get_cmd->add_option("--path", path, "URL path")->capture_default_str();
  get_cmd->add_option("--connections", get_connections, "Keep-alive connections")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  get_cmd->add_option("--duration-s", get_duration_s, "Measured window")
      ->check(CLI::Range(0.1, 3600.0))
      ->capture_default_str();
  get_cmd->add_option("--max-requests", get_max_requests, "Stop after this many requests")
      ->capture_default_str();

  int idle_connections = 1000;
  double hold_s = 5;
  std::string idle_secrets;
  std::string ready_file;
  auto* idle_cmd =
      app.add_subcommand("idle", "Open K connections, optionally one heartbeat each, hold them idle");
  add_common(idle_cmd);
  idle_cmd->add_option("--connections", idle_connections, "Connections")
      ->check(CLI::Range(1, 100'000))
      ->capture_default_str();
  idle_cmd->add_option("--hold-s", hold_s, "How long to hold them once all are open")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  idle_cmd->add_option("--secrets", idle_secrets, "Send one heartbeat on each connection first")
      ->check(CLI::ExistingFile);
  idle_cmd->add_option("--ready-file", ready_file, "Written with the open count once all are open");

  std::string body_out;
  auto* body_cmd = app.add_subcommand("body", "Write one sample heartbeat body to a file");
  body_cmd->add_option("--out", body_out, "File")->required();

  CLI11_PARSE(app, argc, argv);
  raise_file_limit();
  if (*enrol_cmd) return run_enrol(common, enrol);
  if (*hb_cmd) return run_heartbeat(common, hb);
  if (*get_cmd) return run_get(common, path, get_connections, get_duration_s, get_max_requests);
  if (*idle_cmd) return run_idle(common, idle_connections, hold_s, idle_secrets, ready_file);
  if (*body_cmd) return run_body(body_out);
  return 2;
}

}  // namespace
}  // namespace balctl::bench

int main(int argc, char** argv) {
  try {
    return balctl::bench::run(argc, argv);
  } catch (const std::exception& error) {
    std::cerr << "balctl-loadgen: " << error.what() << "\n";
    return 1;
  }
}
