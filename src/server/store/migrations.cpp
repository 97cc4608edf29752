#include "server/store/migrations.hpp"

#include <algorithm>
#include <array>
#include <string>

#include <spdlog/spdlog.h>

namespace balctl::store {
namespace {

// Append-only: never edit a shipped migration, add a new one.
constexpr std::array<const char*, 6> kMigrations = {
    // 1: pools, members, enrollment keys, admin tokens, events, last known member state.
    R"sql(
CREATE TABLE pools (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  hostname TEXT NOT NULL,
  preset TEXT NOT NULL CHECK (preset IN ('haproxy', 'generic')),
  delay_s INTEGER NOT NULL CHECK (delay_s BETWEEN 3 AND 120),
  haproxy_grace_s INTEGER NOT NULL DEFAULT 1,
  failback TEXT NOT NULL DEFAULT 'none',
  ttl_s INTEGER NOT NULL DEFAULT 30,
  active_member_id INTEGER,
  created_ms INTEGER NOT NULL
);
CREATE TABLE members (
  id INTEGER PRIMARY KEY,
  pool_id INTEGER NOT NULL REFERENCES pools(id) ON DELETE CASCADE,
  hostname TEXT NOT NULL,
  ipv4 TEXT NOT NULL,
  egress_ip TEXT,
  role TEXT NOT NULL DEFAULT 'standby' CHECK (role IN ('active', 'standby', 'maintenance')),
  priority INTEGER NOT NULL DEFAULT 100,
  secret_hash TEXT,
  created_ms INTEGER NOT NULL,
  enrolled_ms INTEGER,
  UNIQUE (pool_id, hostname)
);
CREATE TABLE enrollment_keys (
  id TEXT PRIMARY KEY,
  member_id INTEGER NOT NULL REFERENCES members(id) ON DELETE CASCADE,
  key_hash TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  used_ms INTEGER
);
CREATE INDEX enrollment_keys_member ON enrollment_keys(member_id);
CREATE TABLE admin_tokens (
  name TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms INTEGER NOT NULL,
  kind TEXT NOT NULL,
  pool TEXT NOT NULL DEFAULT '',
  member TEXT NOT NULL DEFAULT '',
  actor TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX events_pool ON events(pool, id);
CREATE TABLE member_state (
  member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
  last_seen_ms INTEGER NOT NULL,
  seq INTEGER NOT NULL DEFAULT 0,
  agent_version TEXT NOT NULL DEFAULT '',
  haproxy_state TEXT NOT NULL DEFAULT 'unknown',
  source_ip TEXT NOT NULL DEFAULT '',
  online INTEGER NOT NULL DEFAULT 0,
  report_json TEXT,
  report_ms INTEGER NOT NULL DEFAULT 0
);
)sql",
    // 2: failover settings of pools, DNS provider bindings (secrets encrypted), failover state, alerts.
    R"sql(
ALTER TABLE pools ADD COLUMN probe_ports TEXT NOT NULL DEFAULT '80,443';
ALTER TABLE pools ADD COLUMN failback_after_s INTEGER NOT NULL DEFAULT 60;
ALTER TABLE pools ADD COLUMN dwell_s INTEGER NOT NULL DEFAULT 30;
ALTER TABLE pools ADD COLUMN settle_s INTEGER NOT NULL DEFAULT 10;
ALTER TABLE pools ADD COLUMN dns_sync INTEGER NOT NULL DEFAULT 0;
CREATE TABLE dns_bindings (
  pool_id INTEGER PRIMARY KEY REFERENCES pools(id) ON DELETE CASCADE,
  provider TEXT NOT NULL,
  settings_json TEXT NOT NULL,
  secrets_box TEXT NOT NULL,
  updated_ms INTEGER NOT NULL
);
CREATE TABLE failover_state (
  pool_id INTEGER PRIMARY KEY REFERENCES pools(id) ON DELETE CASCADE,
  pending_target_id INTEGER,
  pending_reason TEXT NOT NULL DEFAULT '',
  pending_actor TEXT NOT NULL DEFAULT '',
  pending_since_ms INTEGER NOT NULL DEFAULT 0,
  published_ipv4 TEXT NOT NULL DEFAULT '',
  last_failover_ms INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE alert_channels (
  name TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('webhook', 'email')),
  settings_json TEXT NOT NULL,
  secrets_box TEXT NOT NULL,
  created_ms INTEGER NOT NULL
);
)sql",
    // 3: the full report (about 2 KB) moves out of member_state, so that the liveness batch written every
    // second updates narrow rows (a few pages for thousands of members) instead of one page per member.
    R"sql(
CREATE TABLE member_reports (
  member_id INTEGER PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
  report_json TEXT NOT NULL,
  report_ms INTEGER NOT NULL
);
INSERT INTO member_reports (member_id, report_json, report_ms)
  SELECT member_id, report_json, report_ms FROM member_state WHERE report_json IS NOT NULL;
ALTER TABLE member_state DROP COLUMN report_json;
)sql",
    // 4: whether a record found pointing elsewhere is repaired (drift repair, on by default).
    R"sql(
ALTER TABLE pools ADD COLUMN dns_repair INTEGER NOT NULL DEFAULT 1;
)sql",
    // 5: one pool per managed hostname, one member per IPv4 within a pool (two members on one address
    // make a failover between them a no-op that reports success). A database written before this was
    // enforced may break it and must still open: the rows that repeat an earlier row's value are marked
    // legacy_duplicate, left out of the unique indexes and named in an event. The earliest row of each
    // group stays indexed; changing a marked pool's hostname clears its mark.
    R"sql(
ALTER TABLE pools ADD COLUMN legacy_duplicate INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN legacy_duplicate INTEGER NOT NULL DEFAULT 0;
UPDATE pools SET legacy_duplicate = 1 WHERE EXISTS
  (SELECT 1 FROM pools AS earlier WHERE earlier.hostname = pools.hostname AND earlier.id < pools.id);
UPDATE members SET legacy_duplicate = 1 WHERE EXISTS
  (SELECT 1 FROM members AS earlier
   WHERE earlier.pool_id = members.pool_id AND earlier.ipv4 = members.ipv4 AND earlier.id < members.id);
CREATE UNIQUE INDEX pools_hostname ON pools(hostname) WHERE legacy_duplicate = 0;
CREATE UNIQUE INDEX members_pool_ipv4 ON members(pool_id, ipv4) WHERE legacy_duplicate = 0;
INSERT INTO events (at_ms, kind, pool, member, actor, message)
  SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'duplicate_hostname', p.name, '',
         'system',
         'pool manages hostname ' || p.hostname || ' as pool ''' || e.name || ''' does (both created before '
         || 'balctl refused this): give one of them another hostname or delete it'
  FROM pools AS p JOIN pools AS e ON e.id = (SELECT MIN(id) FROM pools WHERE hostname = p.hostname)
  WHERE p.legacy_duplicate = 1 ORDER BY p.id;
INSERT INTO events (at_ms, kind, pool, member, actor, message)
  SELECT CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), 'duplicate_ipv4', p.name, m.hostname,
         'system', 'member has address ' || m.ipv4 || ' as member ''' || e.hostname || ''' of this pool does '
         || '(both added before balctl refused this): remove one of them and add it again with its own '
         || 'address'
  FROM members AS m JOIN pools AS p ON p.id = m.pool_id
  JOIN members AS e ON e.id = (SELECT MIN(id) FROM members WHERE pool_id = m.pool_id AND ipv4 = m.ipv4)
  WHERE m.legacy_duplicate = 1 ORDER BY m.id;
)sql",
    // 6: the HAProxy version is liveness like the state beside it: shown again right after a restart,
    // not only after the member's next heartbeat.
    R"sql(
ALTER TABLE member_state ADD COLUMN haproxy_version TEXT NOT NULL DEFAULT '';
)sql",
};

}  // namespace

int latest_schema_version() {
  return static_cast<int>(kMigrations.size());
}

Result<int> schema_version(Database& db) {
  auto statement = db.prepare("PRAGMA user_version");
  if (!statement) return statement.error();
  auto row = statement->step();
  if (!row) return row.error();
  return static_cast<int>(statement->column_int(0));
}

Result<int> migrate(Database& db, int target) {
  const int last = target > 0 ? std::min(target, latest_schema_version()) : latest_schema_version();
  auto current = schema_version(db);
  if (!current) return current.error();
  if (*current > latest_schema_version()) {
    return Error{Errc::internal,
                 "schema_too_new",
                 "the database schema is version " + std::to_string(*current) +
                     " but this balctl only knows up to " + std::to_string(latest_schema_version()) +
                     "; run a newer balctl or restore a backup",
                 {}};
  }
  for (int version = *current + 1; version <= last; ++version) {
    Transaction transaction(db);
    if (!transaction.begun()) return transaction.begun().error();
    if (auto status = db.exec(kMigrations[static_cast<std::size_t>(version - 1)]); !status)
      return status.error();
    if (auto status = db.exec("PRAGMA user_version = " + std::to_string(version)); !status)
      return status.error();
    if (auto status = transaction.commit(); !status) return status.error();
    spdlog::info("schema_migrated version={}", version);
  }
  return std::max(*current, last);
}

}  // namespace balctl::store
