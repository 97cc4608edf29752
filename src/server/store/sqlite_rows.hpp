// Internal to the SQLite store: column lists, row readers and small query helpers shared by the files
// that implement SqliteStore.
#pragma once

#include <string>
#include <vector>

#include "server/store/records.hpp"
#include "server/store/sqlite.hpp"

namespace balctl::store::rows {

inline constexpr const char* kPoolColumns =
    "id, name, hostname, preset, delay_s, haproxy_grace_s, failback, ttl_s, active_member_id, created_ms, "
    "probe_ports, failback_after_s, dwell_s, settle_s, dns_sync, dns_repair";
inline constexpr const char* kMemberColumns =
    "id, pool_id, hostname, ipv4, egress_ip, role, priority, secret_hash, created_ms, enrolled_ms";

inline PoolRecord read_pool(const Statement& s) {
  PoolRecord pool;
  pool.id = s.column_int(0);
  pool.name = s.column_text(1);
  pool.hostname = s.column_text(2);
  pool.preset = s.column_text(3);
  pool.delay_s = s.column_int(4);
  pool.haproxy_grace_s = s.column_int(5);
  pool.failback = s.column_text(6);
  pool.ttl_s = s.column_int(7);
  pool.active_member_id = s.column_optional_int(8);
  pool.created_ms = s.column_int(9);
  pool.probe_ports = s.column_text(10);
  pool.failback_after_s = s.column_int(11);
  pool.dwell_s = s.column_int(12);
  pool.settle_s = s.column_int(13);
  pool.dns_sync = s.column_int(14) != 0;
  pool.dns_repair = s.column_int(15) != 0;
  return pool;
}

inline MemberRecord read_member(const Statement& s) {
  MemberRecord member;
  member.id = s.column_int(0);
  member.pool_id = s.column_int(1);
  member.hostname = s.column_text(2);
  member.ipv4 = s.column_text(3);
  member.egress_ip = s.column_optional_text(4);
  member.role = s.column_text(5);
  member.priority = s.column_int(6);
  member.secret_hash = s.column_optional_text(7);
  member.created_ms = s.column_int(8);
  member.enrolled_ms = s.column_optional_int(9);
  return member;
}

inline EventRecord read_event(const Statement& s) {
  return EventRecord{s.column_int(0), s.column_int(1), s.column_text(2), s.column_text(3),
                     s.column_text(4), s.column_text(5), s.column_text(6)};
}

// Runs a prepared query and maps every row with `read`.
template <class T, class Read>
Result<std::vector<T>> collect(Statement& statement, Read read) {
  std::vector<T> rows;
  while (true) {
    auto row = statement.step();
    if (!row) return row.error();
    if (!*row) return rows;
    rows.push_back(read(statement));
  }
}

// Runs a prepared query expecting at most one row; `missing` is returned when there is none.
template <class T, class Read>
Result<T> single(Statement& statement, Read read, Error missing) {
  auto row = statement.step();
  if (!row) return row.error();
  if (!*row) return missing;
  return read(statement);
}

inline Status insert_event(Database& db, const EventRecord& event) {
  auto s = db.prepare("INSERT INTO events (at_ms, kind, pool, member, actor, message) VALUES (?, ?, ?, ?, ?, ?)");
  if (!s) return s.error();
  s->bind(1, event.at_ms).bind(2, event.kind).bind(3, event.pool).bind(4, event.member);
  s->bind(5, event.actor).bind(6, event.message);
  return s->run();
}

}  // namespace balctl::store::rows
