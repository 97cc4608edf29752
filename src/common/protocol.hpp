// The agent <-> control plane protocol (DESIGN.md "Agent <-> control plane protocol"): one struct per
// message, with its JSON mapping. Both binaries use these, so the wire format lives in one place.
#pragma once

#include <boost/json/object.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace balctl::protocol {

inline constexpr std::size_t kMaxBodyBytes = 1 << 20;
inline constexpr std::int64_t kDefaultIntervalMs = 1000;
// ~200 bytes of JSON per row: 2000 rows stay well inside kMaxBodyBytes with everything else.
inline constexpr std::size_t kMaxHaproxyRows = 2000;
inline constexpr std::size_t kMaxDisks = 64;
inline constexpr std::size_t kMaxAddresses = 256;
inline constexpr std::size_t kMaxServices = 64;

// --- enrolment ---------------------------------------------------------------------------------------

struct EnrolRequest {
  std::string key;
  std::string hostname;
  std::string agent_version;
};
boost::json::object to_json(const EnrolRequest& request);
Result<EnrolRequest> parse_enrol_request(const boost::json::object& object);

struct EnrolResponse {
  std::int64_t member_id = 0;
  std::string secret;
  std::string pool;
  std::int64_t interval_ms = kDefaultIntervalMs;
  std::string server_public_key;  // base64 Ed25519 key that signs jobs
};
boost::json::object to_json(const EnrolResponse& response);
Result<EnrolResponse> parse_enrol_response(const boost::json::object& object);

// --- heartbeat ---------------------------------------------------------------------------------------

enum class HaproxyState { unknown, running, stopped, absent };
std::string_view to_string(HaproxyState state);
std::optional<HaproxyState> parse_haproxy_state(std::string_view text);

// One row of HAProxy's "show stat": a frontend, backend, server or listener.
struct HaproxyRow {
  std::string proxy;    // pxname
  std::string service;  // svname: FRONTEND, BACKEND or the server name
  std::string type;     // frontend | backend | server | listener
  std::string status;   // OPEN, UP, DOWN, MAINT, no check ...
  std::int64_t current_sessions = 0;
  std::int64_t session_rate = 0;
  std::int64_t bytes_in = 0;
  std::int64_t bytes_out = 0;
  std::string check_status;
};

struct HaproxyReport {
  HaproxyState state = HaproxyState::unknown;
  std::string version;
  std::optional<std::int64_t> uptime_s;
  std::string detail;  // why a part is missing: "stats socket /run/haproxy/admin.sock: permission denied"
  // HAProxy runs but its stats socket gave nothing: why ("stats socket ...: connection refused"). Shown as
  // the degraded state "running, stats unavailable: <reason>"; empty when the socket answered.
  std::string stats_error;
  // How the agent found the process: "systemd unit haproxy.service", "pidfile PATH", "stats socket PATH",
  // "process name" (the last only when neither a pidfile nor a stats socket path is configured).
  std::string found_by;
  std::vector<HaproxyRow> rows;
};

struct Memory {
  std::int64_t total_kb = 0;
  std::int64_t available_kb = 0;
};

struct Disk {
  std::string mount;
  std::string fs_type;
  std::int64_t total_bytes = 0;
  std::int64_t used_bytes = 0;
};

struct InterfaceAddress {
  std::string interface;
  std::string address;
  int prefix_length = 32;
};

struct ServiceState {
  std::string name;
  std::string state;  // active | inactive | failed | ...
};

// A confirmation probe the control plane asks a standby to run against a silent active: TCP connects to
// its frontend ports. The result travels back in the next heartbeat (sent at once).
struct ProbeTask {
  std::int64_t id = 0;
  std::string target;  // IPv4 address
  std::vector<int> ports;
  std::int64_t timeout_ms = 500;  // each connection attempt
  // Raced attempts per port and the time between their starts (tcp_connects_any). Absent in JSON from an
  // older control plane: one attempt, as before.
  int attempts = 1;
  std::int64_t spacing_ms = 0;
};
inline constexpr int kMaxProbeAttempts = 8;
inline constexpr std::int64_t kMaxProbeSpacingMs = 2000;
inline constexpr std::int64_t kMinProbeTimeoutMs = 50;
inline constexpr std::int64_t kMaxProbeTimeoutMs = 10'000;
struct ProbeResult {
  std::int64_t id = 0;
  bool reachable = false;  // every port accepted a connection
};
inline constexpr std::size_t kMaxProbes = 16;

struct Heartbeat {
  std::string agent_version;
  std::int64_t seq = 0;
  std::string hostname;
  std::optional<double> uptime_s;
  std::optional<std::array<double, 3>> load;
  std::optional<double> cpu_pct;
  std::optional<Memory> memory;
  std::vector<Disk> disks;
  std::vector<InterfaceAddress> ipv4;
  std::string kernel;
  std::string os;
  HaproxyReport haproxy;
  std::vector<ServiceState> services;
  std::vector<ProbeResult> probe_results;
};
boost::json::object to_json(const Heartbeat& heartbeat);
// Unknown fields are ignored; a missing or mistyped required field is an error naming the field.
Result<Heartbeat> parse_heartbeat(const boost::json::object& object);

struct HeartbeatResponse {
  std::int64_t interval_ms = kDefaultIntervalMs;
  boost::json::array jobs;  // job objects; a later milestone gives them a type
  std::vector<ProbeTask> probes;
  // Probe tasks that were malformed or out of range, as "field 'probes[i]...' reason": skipped (and logged
  // by the agent) rather than failing the whole reply, so a newer control plane never silences an agent.
  std::vector<std::string> ignored_probes;
};
boost::json::object to_json(const HeartbeatResponse& response);
Result<HeartbeatResponse> parse_heartbeat_response(const boost::json::object& object);

}  // namespace balctl::protocol
