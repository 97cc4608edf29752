#include "common/protocol.hpp"

#include <array>
#include <limits>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/validate.hpp"

namespace balctl::protocol {
namespace {

constexpr std::int64_t kMaxCounter = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t kMinIntervalMs = 100;
constexpr std::int64_t kMaxIntervalMs = 60'000;

// Records `problem` against the field unless the value passed or an earlier field already failed.
void check(json::FieldReader& r, std::string_view key, bool passed, std::string_view problem) {
  if (r.ok() && !passed) r.fail(key, "field '" + r.path_of(key) + "' " + std::string(problem));
}

constexpr std::string_view kVersionProblem = "must be 1-64 characters of [0-9A-Za-z.+~_-]";

// An agent names itself with these; an agent that sends anything else is broken or hostile.
void check_agent_version(json::FieldReader& r, const std::string& version) {
  check(r, "agent_version", validate::version_token(version), kVersionProblem);
}

template <class T>
Result<T> finish(const json::FieldReader& reader, T value) {
  if (!reader.ok()) return reader.error();
  return value;
}

// Reads each element of an array of objects with `read_one`, stopping at the first problem.
template <class T, class ReadOne>
std::vector<T> read_objects(json::FieldReader& reader, std::string_view key, std::size_t max_items,
                            ReadOne read_one) {
  std::vector<T> items;
  const auto* array = reader.optional_array(key, max_items);
  if (array == nullptr) return items;
  items.reserve(array->size());
  for (std::size_t i = 0; i < array->size() && reader.ok(); ++i) {
    const std::string element_key = std::string(key) + "[" + std::to_string(i) + "]";
    if (!(*array)[i].is_object()) {
      reader.fail(element_key, "field '" + reader.path_of(element_key) + "' must be an object");
      break;
    }
    json::FieldReader element((*array)[i].get_object(), reader.path_of(element_key));
    items.push_back(read_one(element));
    reader.absorb(element);
  }
  return items;
}

HaproxyRow read_row(json::FieldReader& r) {
  HaproxyRow row;
  row.proxy = r.required_string("proxy");
  row.service = r.required_string("service");
  row.type = r.optional_string("type", 16).value_or("");
  check(r, "type", row.type.empty() || validate::lower_word(row.type),
        "must be frontend, backend, server or listener");
  row.status = r.optional_string("status", 64).value_or("");
  row.current_sessions = r.optional_int("current_sessions", 0, kMaxCounter).value_or(0);
  row.session_rate = r.optional_int("session_rate", 0, kMaxCounter).value_or(0);
  row.bytes_in = r.optional_int("bytes_in", 0, kMaxCounter).value_or(0);
  row.bytes_out = r.optional_int("bytes_out", 0, kMaxCounter).value_or(0);
  row.check_status = r.optional_string("check_status", 64).value_or("");
  return row;
}

// A task the agent cannot run as asked fails its own reader only (see ignored_probes).
ProbeTask read_probe(json::FieldReader& p) {
  ProbeTask task;
  task.id = p.required_int("id", 1, kMaxCounter);
  task.target = p.required_string("target", 15);
  if (p.ok() && !validate::ipv4(task.target)) {
    p.fail("target", "field '" + p.path_of("target") + "' must be an IPv4 address");
  }
  task.timeout_ms = p.optional_int("timeout_ms", kMinProbeTimeoutMs, kMaxProbeTimeoutMs).value_or(500);
  task.attempts = static_cast<int>(p.optional_int("attempts", 1, kMaxProbeAttempts).value_or(1));
  task.spacing_ms = p.optional_int("spacing_ms", 0, kMaxProbeSpacingMs).value_or(0);
  if (const auto* ports = p.optional_array("ports", 16)) {
    for (const auto& port : *ports) {
      if (!port.is_int64() || port.get_int64() < 1 || port.get_int64() > 65535) {
        p.fail("ports", "field '" + p.path_of("ports") + "' must hold TCP port numbers");
        break;
      }
      task.ports.push_back(static_cast<int>(port.get_int64()));
    }
  }
  return task;
}

HaproxyReport read_haproxy(json::FieldReader& parent) {
  HaproxyReport report;
  const auto* object = parent.optional_object("haproxy");
  if (object == nullptr) return report;
  json::FieldReader r(*object, parent.path_of("haproxy"));
  const std::string state = r.required_string("state", 16);
  if (r.ok()) {
    if (auto parsed = parse_haproxy_state(state)) {
      report.state = *parsed;
    } else {
      r.fail("state", "field 'haproxy.state' must be running, stopped, absent or unknown");
    }
  }
  report.version = r.optional_string("version", 64).value_or("");
  report.uptime_s = r.optional_int("uptime_s", 0, kMaxCounter);
  report.detail = r.optional_string("detail", 512).value_or("");
  report.stats_error = r.optional_string("stats_error", 512).value_or("");
  report.found_by = r.optional_string("found_by", 512).value_or("");
  report.rows = read_objects<HaproxyRow>(r, "rows", kMaxHaproxyRows, read_row);
  parent.absorb(r);
  return report;
}

boost::json::object row_to_json(const HaproxyRow& row) {
  return {{"proxy", row.proxy},
          {"service", row.service},
          {"type", row.type},
          {"status", row.status},
          {"current_sessions", row.current_sessions},
          {"session_rate", row.session_rate},
          {"bytes_in", row.bytes_in},
          {"bytes_out", row.bytes_out},
          {"check_status", row.check_status}};
}

}  // namespace

// --- enrolment ---------------------------------------------------------------------------------------

boost::json::object to_json(const EnrolRequest& request) {
  return {{"key", request.key}, {"hostname", request.hostname}, {"agent_version", request.agent_version}};
}

Result<EnrolRequest> parse_enrol_request(const boost::json::object& object) {
  json::FieldReader r(object);
  EnrolRequest request;
  request.key = r.required_string("key", 256);
  request.hostname = r.required_string("hostname", 253);
  request.agent_version = r.required_string("agent_version", 64);
  check_agent_version(r, request.agent_version);
  if (r.ok()) {
    if (auto host = validate::hostname(request.hostname)) {
      request.hostname = *host;
    } else {
      r.fail("hostname", "field 'hostname' is not a valid host name");
    }
  }
  return finish(r, std::move(request));
}

boost::json::object to_json(const EnrolResponse& response) {
  return {{"member_id", response.member_id},
          {"secret", response.secret},
          {"pool", response.pool},
          {"interval_ms", response.interval_ms},
          {"server_public_key", response.server_public_key}};
}

Result<EnrolResponse> parse_enrol_response(const boost::json::object& object) {
  json::FieldReader r(object);
  EnrolResponse response;
  response.member_id = r.required_int("member_id", 1, kMaxCounter);
  response.secret = r.required_string("secret", 256);
  response.pool = r.required_string("pool", 63);
  response.interval_ms = r.optional_int("interval_ms", kMinIntervalMs, kMaxIntervalMs).value_or(kDefaultIntervalMs);
  response.server_public_key = r.optional_string("server_public_key", 128).value_or("");
  // These go into agent.env as they are: a value with a line break would add keys there.
  check(r, "secret",
        validate::credential_text(response.secret) &&
            crypto::credential_id("bms", response.secret) == std::to_string(response.member_id),
        "is not a member secret for this member_id (expected bms.<member_id>.<secret>)");
  check(r, "pool", validate::object_name(response.pool).has_value(), "is not a pool name");
  if (!response.server_public_key.empty()) {
    const auto raw = crypto::from_base64(response.server_public_key);
    const bool canonical = raw && raw->size() == 32 && crypto::base64(*raw) == response.server_public_key;
    check(r, "server_public_key", canonical, "must be a base64 Ed25519 public key");
  }
  if (!r.ok()) {
    Error error = r.error();
    error.message = "the control plane's enrol reply is unusable: " + error.message;
    return error;
  }
  return response;
}

// --- heartbeat ---------------------------------------------------------------------------------------

std::string_view to_string(HaproxyState state) {
  switch (state) {
    case HaproxyState::running: return "running";
    case HaproxyState::stopped: return "stopped";
    case HaproxyState::absent: return "absent";
    case HaproxyState::unknown: break;
  }
  return "unknown";
}

std::optional<HaproxyState> parse_haproxy_state(std::string_view text) {
  constexpr std::array kStates = {HaproxyState::unknown, HaproxyState::running, HaproxyState::stopped,
                                  HaproxyState::absent};
  for (const auto state : kStates) {
    if (to_string(state) == text) return state;
  }
  return std::nullopt;
}

boost::json::object to_json(const Heartbeat& hb) {
  boost::json::object out{{"agent_version", hb.agent_version}, {"seq", hb.seq}};
  if (!hb.hostname.empty()) out["hostname"] = hb.hostname;
  if (hb.uptime_s) out["uptime_s"] = *hb.uptime_s;
  if (hb.load) out["load"] = boost::json::array{(*hb.load)[0], (*hb.load)[1], (*hb.load)[2]};
  if (hb.cpu_pct) out["cpu_pct"] = *hb.cpu_pct;
  if (hb.memory) out["memory"] = {{"total_kb", hb.memory->total_kb}, {"available_kb", hb.memory->available_kb}};
  boost::json::array disks;
  for (const auto& d : hb.disks) {
    disks.push_back({{"mount", d.mount}, {"fs_type", d.fs_type}, {"total_bytes", d.total_bytes},
                     {"used_bytes", d.used_bytes}});
  }
  out["disks"] = std::move(disks);
  boost::json::array addresses;
  for (const auto& a : hb.ipv4) {
    addresses.push_back({{"interface", a.interface}, {"address", a.address}, {"prefix_length", a.prefix_length}});
  }
  out["ipv4"] = std::move(addresses);
  if (!hb.kernel.empty()) out["kernel"] = hb.kernel;
  if (!hb.os.empty()) out["os"] = hb.os;
  boost::json::object haproxy{{"state", to_string(hb.haproxy.state)}};
  if (!hb.haproxy.version.empty()) haproxy["version"] = hb.haproxy.version;
  if (hb.haproxy.uptime_s) haproxy["uptime_s"] = *hb.haproxy.uptime_s;
  if (!hb.haproxy.detail.empty()) haproxy["detail"] = hb.haproxy.detail;
  if (!hb.haproxy.stats_error.empty()) haproxy["stats_error"] = hb.haproxy.stats_error;
  if (!hb.haproxy.found_by.empty()) haproxy["found_by"] = hb.haproxy.found_by;
  boost::json::array rows;
  for (const auto& row : hb.haproxy.rows) rows.push_back(row_to_json(row));
  haproxy["rows"] = std::move(rows);
  out["haproxy"] = std::move(haproxy);
  boost::json::array services;
  for (const auto& s : hb.services) services.push_back({{"name", s.name}, {"state", s.state}});
  out["services"] = std::move(services);
  if (!hb.probe_results.empty()) {
    boost::json::array results;
    for (const auto& r : hb.probe_results) results.push_back({{"id", r.id}, {"reachable", r.reachable}});
    out["probe_results"] = std::move(results);
  }
  return out;
}

Result<Heartbeat> parse_heartbeat(const boost::json::object& object) {
  json::FieldReader r(object);
  Heartbeat hb;
  hb.agent_version = r.required_string("agent_version", 64);
  check_agent_version(r, hb.agent_version);
  hb.seq = r.required_int("seq", 0, kMaxCounter);
  hb.hostname = r.optional_string("hostname", 253).value_or("");
  if (!hb.hostname.empty()) {
    const auto host = validate::hostname(hb.hostname);
    check(r, "hostname", host.has_value(), "is not a valid host name");
    if (host) hb.hostname = *host;
  }
  hb.uptime_s = r.optional_number("uptime_s", 0, 1e12);
  if (const auto* load = r.optional_array("load", 3)) {
    if (load->size() == 3 && load->at(0).is_number() && load->at(1).is_number() && load->at(2).is_number()) {
      hb.load = std::array<double, 3>{load->at(0).to_number<double>(), load->at(1).to_number<double>(),
                                      load->at(2).to_number<double>()};
    } else {
      r.fail("load", "field 'load' must be an array of three numbers");
    }
  }
  hb.cpu_pct = r.optional_number("cpu_pct", 0, 100.0 * 4096);
  if (const auto* memory = r.optional_object("memory")) {
    json::FieldReader m(*memory, "memory");
    hb.memory = Memory{m.required_int("total_kb", 0, kMaxCounter), m.required_int("available_kb", 0, kMaxCounter)};
    r.absorb(m);
  }
  hb.disks = read_objects<Disk>(r, "disks", kMaxDisks, [](json::FieldReader& d) {
    return Disk{d.required_string("mount", 4096), d.optional_string("fs_type", 64).value_or(""),
                d.optional_int("total_bytes", 0, kMaxCounter).value_or(0),
                d.optional_int("used_bytes", 0, kMaxCounter).value_or(0)};
  });
  hb.ipv4 = read_objects<InterfaceAddress>(r, "ipv4", kMaxAddresses, [](json::FieldReader& a) {
    InterfaceAddress address{a.optional_string("interface", 64).value_or(""), a.required_string("address", 15),
                             static_cast<int>(a.optional_int("prefix_length", 0, 32).value_or(32))};
    if (a.ok() && !validate::ipv4(address.address)) a.fail("address", "not an IPv4 address");
    return address;
  });
  hb.kernel = r.optional_string("kernel", 256).value_or("");
  hb.os = r.optional_string("os", 256).value_or("");
  hb.haproxy = read_haproxy(r);
  hb.services = read_objects<ServiceState>(r, "services", kMaxServices, [](json::FieldReader& s) {
    ServiceState service{s.required_string("name", 256), s.optional_string("state", 64).value_or("")};
    check(s, "name", validate::unit_name(service.name), "must be a systemd unit name such as haproxy.service");
    check(s, "state", service.state.empty() || validate::lower_word(service.state),
          "must be a systemd unit state");
    return service;
  });
  hb.probe_results = read_objects<ProbeResult>(r, "probe_results", kMaxProbes, [](json::FieldReader& p) {
    ProbeResult result;
    result.id = p.required_int("id", 1, kMaxCounter);
    const auto reachable = p.optional_bool("reachable");
    if (!reachable && p.ok()) p.fail("reachable", "field 'reachable' is required and must be true or false");
    result.reachable = reachable.value_or(false);
    return result;
  });
  return finish(r, std::move(hb));
}

boost::json::object to_json(const HeartbeatResponse& response) {
  boost::json::object out{{"interval_ms", response.interval_ms}, {"jobs", response.jobs}};
  if (!response.probes.empty()) {
    boost::json::array probes;
    for (const auto& p : response.probes) {
      boost::json::array ports;
      for (const int port : p.ports) ports.push_back(port);
      probes.push_back({{"id", p.id},
                        {"target", p.target},
                        {"ports", std::move(ports)},
                        {"timeout_ms", p.timeout_ms},
                        {"attempts", p.attempts},
                        {"spacing_ms", p.spacing_ms}});
    }
    out["probes"] = std::move(probes);
  }
  return out;
}

Result<HeartbeatResponse> parse_heartbeat_response(const boost::json::object& object) {
  json::FieldReader r(object);
  HeartbeatResponse response;
  response.interval_ms = r.required_int("interval_ms", kMinIntervalMs, kMaxIntervalMs);
  if (const auto* jobs = r.optional_array("jobs", 1000)) response.jobs = *jobs;
  if (const auto* probes = r.optional_array("probes", kMaxProbes)) {
    for (std::size_t i = 0; i < probes->size(); ++i) {
      const std::string key = "probes[" + std::to_string(i) + "]";
      if (!(*probes)[i].is_object()) {
        response.ignored_probes.push_back("field '" + key + "' must be an object");
        continue;
      }
      json::FieldReader p((*probes)[i].get_object(), key);
      ProbeTask task = read_probe(p);
      if (p.ok()) {
        response.probes.push_back(std::move(task));
      } else {
        response.ignored_probes.push_back(p.error().message);
      }
    }
  }
  return finish(r, std::move(response));
}

}  // namespace balctl::protocol
