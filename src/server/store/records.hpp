// Rows as the store sees them. Services turn these into API shapes; the store knows no HTTP.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace balctl::store {

struct PoolRecord {
  std::int64_t id = 0;
  std::string name;
  std::string hostname;
  std::string preset = "haproxy";
  std::int64_t delay_s = 10;
  std::int64_t haproxy_grace_s = 1;
  std::string failback = "none";
  std::int64_t ttl_s = 30;
  std::optional<std::int64_t> active_member_id;
  std::int64_t created_ms = 0;
  std::string probe_ports = "80,443";  // comma separated; empty: no probe confirmation
  std::int64_t failback_after_s = 60;
  std::int64_t dwell_s = 30;
  std::int64_t settle_s = 10;
  bool dns_sync = false;
  bool dns_repair = true;  // put the record back to the active's address when it is found pointing elsewhere
};

struct MemberRecord {
  std::int64_t id = 0;
  std::int64_t pool_id = 0;
  std::string hostname;
  std::string ipv4;
  std::optional<std::string> egress_ip;
  std::string role = "standby";  // active | standby | maintenance
  std::int64_t priority = 100;
  std::optional<std::string> secret_hash;  // set once enrolled
  std::int64_t created_ms = 0;
  std::optional<std::int64_t> enrolled_ms;
};

struct EnrollmentKeyRecord {
  std::string id;
  std::int64_t member_id = 0;
  std::string key_hash;
  std::int64_t created_ms = 0;
  std::int64_t expires_ms = 0;
  std::optional<std::int64_t> used_ms;
};

struct TokenRecord {
  std::string name;
  std::string token_hash;
  std::int64_t created_ms = 0;
};

struct EventRecord {
  std::int64_t id = 0;
  std::int64_t at_ms = 0;
  std::string kind;  // member_enrolled, member_offline, member_online, token_created, ...
  std::string pool;
  std::string member;
  std::string actor;  // "admin:<token name>", "agent:<member>", "system"
  std::string message;
};

// The last known liveness of a member, persisted in batches (group commit).
struct MemberStateRecord {
  std::int64_t member_id = 0;
  std::int64_t last_seen_ms = 0;
  std::int64_t seq = 0;
  std::string agent_version;
  std::string haproxy_state;
  std::string source_ip;
  bool online = false;  // whether the last liveness event said online (so a restart does not repeat it)
  std::optional<std::string> report_json;  // only when the full report is due for persisting
  std::int64_t report_ms = 0;
  std::string haproxy_version;
};

struct DnsBindingRecord {
  std::int64_t pool_id = 0;
  std::string provider;
  std::string settings_json;
  std::string secrets_box;  // encrypted with the data dir's secrets.key
  std::int64_t updated_ms = 0;
};

// What must survive a restart of a pool's failover: an interrupted switch and what DNS last showed.
struct FailoverStateRecord {
  std::int64_t pool_id = 0;
  std::optional<std::int64_t> pending_target_id;
  std::string pending_reason;
  std::string pending_actor;
  std::int64_t pending_since_ms = 0;
  std::string published_ipv4;
  std::int64_t last_failover_ms = 0;
};

struct AlertChannelRecord {
  std::string name;
  std::string kind;  // webhook | email
  std::string settings_json;
  std::string secrets_box;
  std::int64_t created_ms = 0;
};

struct EventQuery {
  std::int64_t after_id = 0;
  std::int64_t limit = 100;
  std::optional<std::string> pool;
};

}  // namespace balctl::store
