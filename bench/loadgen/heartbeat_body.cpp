#include "bench/loadgen/heartbeat_body.hpp"

#include <cstdio>
#include <stdexcept>

#include "common/json.hpp"
#include "common/protocol.hpp"

namespace balctl::bench {
namespace {

constexpr std::int64_t kSeqMarker = 987'654'321'987'654;

protocol::HaproxyRow row(std::string proxy, std::string service, std::string type, std::string status,
                         std::int64_t sessions, std::int64_t rate, std::int64_t in, std::int64_t out,
                         std::string check) {
  return {std::move(proxy), std::move(service), std::move(type), std::move(status), sessions, rate, in, out,
          std::move(check)};
}

}  // namespace

std::string BodyTemplate::with_seq(std::uint64_t seq) const {
  std::string body;
  body.reserve(prefix.size() + 20 + suffix.size());
  body.append(prefix).append(std::to_string(seq)).append(suffix);
  return body;
}

std::string member_hostname(std::size_t member) {
  char name[64];
  std::snprintf(name, sizeof name, "lb-%06zu.bench.example.com", member);
  return name;
}

// In 127.0.0.0/8 on purpose: the control plane probes an active member's address when its heartbeats are
// late (confirmation before failover), and a benchmark must never send traffic off this machine.
std::string member_ipv4(std::size_t index) {
  const std::size_t member = index + 1;  // no .0 host part for member 0
  return "127." + std::to_string((member >> 16) & 0xff) + "." + std::to_string((member >> 8) & 0xff) + "." +
         std::to_string(member & 0xff);
}

BodyTemplate heartbeat_template(std::size_t member, const std::string& hostname) {
  const auto m = static_cast<std::int64_t>(member);
  protocol::Heartbeat hb;
  hb.agent_version = "0.1.0";
  hb.seq = kSeqMarker;
  hb.hostname = hostname;
  hb.uptime_s = 1'843'211.57 + static_cast<double>(m);
  hb.load = std::array<double, 3>{0.42, 0.37, 0.31};
  hb.cpu_pct = 7.25;
  hb.memory = protocol::Memory{8'138'452, 5'902'116 - m};
  hb.disks = {{"/", "ext4", 42'006'183'936, 11'873'935'360 + m * 4096},
              {"/var/log", "ext4", 10'464'022'528, 1'311'096'832}};
  hb.ipv4 = {{"eth0", member_ipv4(member), 24},
             {"eth1", "192.168.10." + std::to_string(10 + member % 200), 24}};
  hb.kernel = "6.1.0-18-amd64";
  hb.os = "Debian GNU/Linux 12 (bookworm)";
  hb.haproxy.state = protocol::HaproxyState::running;
  hb.haproxy.version = "2.6.12-1+deb12u1";
  hb.haproxy.uptime_s = 1'202'114;
  hb.haproxy.rows = {
      row("fe_http", "FRONTEND", "frontend", "OPEN", 12, 31, 1'843'022'117, 9'411'982'004, ""),
      row("fe_https", "FRONTEND", "frontend", "OPEN", 148, 212, 98'112'004'331, 611'004'982'117, ""),
      row("be_app", "app1", "server", "UP", 51, 70, 32'702'113'004, 201'332'004'118, "L7OK"),
      row("be_app", "app2", "server", "UP", 49, 69, 32'640'883'192, 200'998'117'402, "L7OK"),
      row("be_app", "app3", "server", "UP", 48, 71, 32'769'007'135, 202'674'860'597, "L7OK"),
      row("be_app", "BACKEND", "backend", "UP", 148, 210, 98'112'003'331, 605'005'982'117, ""),
      row("be_static", "static1", "server", "UP", 12, 33, 1'843'022'117, 9'411'982'004, "L4OK"),
      row("be_static", "BACKEND", "backend", "UP", 12, 33, 1'843'022'117, 9'411'982'004, ""),
  };
  hb.services = {{"haproxy", "active"}, {"balctl-heartbeat", "active"}, {"ssh", "active"}};

  const std::string text = json::to_string(protocol::to_json(hb));
  const std::string marker = std::to_string(kSeqMarker);
  const auto at = text.find(marker);
  if (at == std::string::npos) throw std::logic_error("seq marker missing from the heartbeat body");
  return {text.substr(0, at), text.substr(at + marker.size())};
}

}  // namespace balctl::bench
