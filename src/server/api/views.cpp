#include "server/api/views.hpp"

#include "common/time.hpp"
#include "server/fleet/specs.hpp"

namespace balctl::api {
namespace {

boost::json::value age_or_null(std::int64_t at_ms) {
  if (at_ms == failover::kNever) return nullptr;
  return time::steady_ms_now() - at_ms;
}

// A switch in progress (attempts, when the next one starts, the last error) and what the record answered
// when it was last read back.
void add_switch_and_record(boost::json::object& out, const failover::PoolStatus& status) {
  if (status.switching_to) {
    out["attempts"] = status.switch_attempts;
    out["next_attempt_in_ms"] = status.next_attempt_ms == failover::kNever
                                    ? boost::json::value(nullptr)
                                    : boost::json::value(std::max<std::int64_t>(
                                          0, status.next_attempt_ms - time::steady_ms_now()));
    out["last_error"] = status.last_switch_error;
  }
  boost::json::array answers;
  for (const auto& answer : status.record_answers) answers.push_back(boost::json::string(answer));
  out["record"] = {{"state", failover::to_string(status.record)},
                   {"answers", std::move(answers)},
                   {"expected", status.expected_ipv4},
                   {"checked_age_ms", age_or_null(status.record_checked_ms)}};
}

boost::json::value optional_number(const std::optional<double>& value) {
  if (!value) return nullptr;
  return *value;
}

boost::json::array probe_ports_json(std::string_view text) {
  boost::json::array ports;
  for (const int port : fleet::parse_probe_ports(text)) ports.push_back(port);
  return ports;
}

}  // namespace

boost::json::object pool_settings_json(const store::PoolRecord& pool) {
  return {{"name", pool.name},
          {"hostname", pool.hostname},
          {"preset", pool.preset},
          {"delay_s", pool.delay_s},
          {"haproxy_grace_s", pool.haproxy_grace_s},
          {"failback", pool.failback},
          {"ttl_s", pool.ttl_s},
          {"failback_after_s", pool.failback_after_s},
          {"dwell_s", pool.dwell_s},
          {"settle_s", pool.settle_s},
          {"probe_ports", probe_ports_json(pool.probe_ports)},
          {"dns_sync", pool.dns_sync},
          {"dns_repair", pool.dns_repair},
          {"created_at", time::rfc3339(pool.created_ms)}};
}

boost::json::object pool_json(const inventory::PoolView& pool) {
  boost::json::object out = pool_settings_json(pool.record);
  std::int64_t online = 0;
  boost::json::array members;
  for (const auto& member : pool.members) {
    if (member.status == liveness::MemberStatus::online) ++online;
    members.push_back(member_json(member));
  }
  out["active_member"] = pool.active_hostname.empty() ? boost::json::value(nullptr) : boost::json::value(pool.active_hostname);
  out["members_total"] = static_cast<std::int64_t>(pool.members.size());
  out["members_online"] = online;
  out["members"] = std::move(members);
  return out;
}

boost::json::object haproxy_json(protocol::HaproxyState state, const std::string& version,
                                 const std::string& stats_error) {
  const bool running = state == protocol::HaproxyState::running;
  const bool degraded = running && !stats_error.empty();
  std::string display(protocol::to_string(state));
  if (degraded) display += ", stats unavailable: " + stats_error;
  return {{"state", protocol::to_string(state)},
          {"version", version},
          {"stats", running ? boost::json::value(degraded ? "unavailable" : "ok")
                            : boost::json::value(nullptr)},
          {"stats_error", stats_error},
          {"display", display}};
}

boost::json::object member_json(const inventory::MemberView& member) {
  const auto& r = member.record;
  boost::json::object out{{"id", r.id},
                          {"hostname", r.hostname},
                          {"ipv4", r.ipv4},
                          {"egress_ip", r.egress_ip ? boost::json::value(*r.egress_ip) : boost::json::value(nullptr)},
                          {"role", r.role},
                          {"priority", r.priority},
                          {"enrolled", r.enrolled_ms.has_value()},
                          {"enrolled_at", time::rfc3339(r.enrolled_ms.value_or(0))},
                          {"status", liveness::to_string(member.status)}};
  out["last_heartbeat_age_ms"] =
      member.last_heartbeat_age_ms ? boost::json::value(*member.last_heartbeat_age_ms) : boost::json::value(nullptr);
  if (member.liveness && member.liveness->last_seen_wall_ms != 0) {
    const auto& l = *member.liveness;
    out["last_heartbeat_at"] = time::rfc3339(l.last_seen_wall_ms);
    out["agent_version"] = l.agent_version;
    out["seq"] = l.seq;
    out["source_ip"] = l.source_ip;
    out["haproxy"] = haproxy_json(l.haproxy, l.haproxy_version, l.haproxy_stats_error);
    out["host"] = {{"uptime_s", optional_number(l.host.uptime_s)},
                   {"load1", optional_number(l.host.load1)},
                   {"cpu_pct", optional_number(l.host.cpu_pct)},
                   {"memory_used_pct", optional_number(l.host.memory_used_pct)}};
  } else {
    out["agent_version"] = nullptr;
    out["haproxy"] = haproxy_json(protocol::HaproxyState::unknown, "", "");
  }
  return out;
}

boost::json::object issued_key_json(const inventory::IssuedKey& issued) {
  return {{"pool", issued.pool},
          {"member", member_json(issued.member)},
          {"enrollment_key", issued.key},
          {"expires_at", time::rfc3339(issued.expires_ms)},
          {"install_command", issued.install_command}};
}

boost::json::object event_json(const store::EventRecord& event) {
  return {{"id", event.id},         {"at", time::rfc3339(event.at_ms)}, {"kind", event.kind},
          {"pool", event.pool},     {"member", event.member},           {"actor", event.actor},
          {"message", event.message}};
}

void add_failover_view(boost::json::object& pool, const inventory::PoolView& view, failover::FailoverService& failover) {
  const auto status = failover.status(view.record.id);
  std::string switching_to;
  if (status && status->switching_to) {
    for (const auto& member : view.members) {
      if (member.record.id == *status->switching_to) switching_to = member.record.hostname;
    }
  }
  boost::json::object failover_json{
      {"phase", status ? status->phase : "steady"},
      {"switching_to", switching_to.empty() ? boost::json::value(nullptr) : boost::json::value(switching_to)},
      {"published_ipv4", status ? status->published_ipv4 : ""}};
  if (status) add_switch_and_record(failover_json, *status);
  pool["failover"] = std::move(failover_json);
  if (auto* members = pool.if_contains("members"); members != nullptr && members->is_array()) {
    for (std::size_t i = 0; i < view.members.size() && i < members->as_array().size(); ++i) {
      members->as_array()[i].as_object()["failover_ready"] = failover.readiness(view.members[i].record.id);
    }
  }
}

boost::json::object token_json(const auth::TokenInfo& token) {
  return {{"name", token.name}, {"created_at", time::rfc3339(token.created_ms)}};
}

}  // namespace balctl::api
