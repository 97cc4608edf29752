#include "server/store/failover_queries.hpp"

#include "server/store/sqlite_rows.hpp"

namespace balctl::store::failover_queries {

Status commit_roles(Database& db, std::int64_t pool_id, std::int64_t active_id,
                    std::optional<std::int64_t> previous_id, std::string_view previous_role) {
  Transaction transaction(db);
  if (!transaction.begun()) return transaction.begun();
  if (previous_id && *previous_id != active_id) {
    if (auto status = set_member_role(db, *previous_id, previous_role); !status) return status;
  }
  if (auto status = set_member_role(db, active_id, "active"); !status) return status;
  auto s = db.prepare("UPDATE pools SET active_member_id = ? WHERE id = ?");
  if (!s) return s.error();
  s->bind(1, active_id).bind(2, pool_id);
  if (auto status = s->run(); !status) return status;
  return transaction.commit();
}

Status set_member_role(Database& db, std::int64_t member_id, std::string_view role) {
  auto s = db.prepare("UPDATE members SET role = ? WHERE id = ?");
  if (!s) return s.error();
  s->bind(1, role).bind(2, member_id);
  return s->run();
}

Status put_dns_binding(Database& db, const DnsBindingRecord& b) {
  auto s = db.prepare(
      "INSERT INTO dns_bindings (pool_id, provider, settings_json, secrets_box, updated_ms) VALUES (?, ?, ?, "
      "?, ?) "
      "ON CONFLICT (pool_id) DO UPDATE SET provider = excluded.provider, settings_json = "
      "excluded.settings_json, "
      "secrets_box = excluded.secrets_box, updated_ms = excluded.updated_ms");
  if (!s) return s.error();
  s->bind(1, b.pool_id)
      .bind(2, b.provider)
      .bind(3, b.settings_json)
      .bind(4, b.secrets_box)
      .bind(5, b.updated_ms);
  return s->run();
}

Result<std::optional<DnsBindingRecord>> get_dns_binding(Database& db, std::int64_t pool_id) {
  auto s = db.prepare(
      "SELECT pool_id, provider, settings_json, secrets_box, updated_ms FROM dns_bindings WHERE pool_id = ?");
  if (!s) return s.error();
  s->bind(1, pool_id);
  auto row = s->step();
  if (!row) return row.error();
  if (!*row) return std::optional<DnsBindingRecord>{};
  return std::optional<DnsBindingRecord>(DnsBindingRecord{
      s->column_int(0), s->column_text(1), s->column_text(2), s->column_text(3), s->column_int(4)});
}

Status delete_dns_binding(Database& db, std::int64_t pool_id) {
  auto s = db.prepare("DELETE FROM dns_bindings WHERE pool_id = ?");
  if (!s) return s.error();
  s->bind(1, pool_id);
  return s->run();
}

Status save_failover_state(Database& db, const FailoverStateRecord& f) {
  auto s = db.prepare(
      "INSERT INTO failover_state (pool_id, pending_target_id, pending_reason, pending_actor, "
      "pending_since_ms, "
      "published_ipv4, last_failover_ms) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM pools "
      "WHERE id = ?1) "
      "ON CONFLICT (pool_id) DO UPDATE SET pending_target_id = excluded.pending_target_id, "
      "pending_reason = excluded.pending_reason, pending_actor = excluded.pending_actor, "
      "pending_since_ms = excluded.pending_since_ms, published_ipv4 = excluded.published_ipv4, "
      "last_failover_ms = excluded.last_failover_ms");
  if (!s) return s.error();
  s->bind(1, f.pool_id).bind(2, f.pending_target_id).bind(3, f.pending_reason).bind(4, f.pending_actor);
  s->bind(5, f.pending_since_ms).bind(6, f.published_ipv4).bind(7, f.last_failover_ms);
  return s->run();
}

Result<std::vector<FailoverStateRecord>> load_failover_states(Database& db) {
  auto s = db.prepare(
      "SELECT pool_id, pending_target_id, pending_reason, pending_actor, pending_since_ms, published_ipv4, "
      "last_failover_ms FROM failover_state");
  if (!s) return s.error();
  return rows::collect<FailoverStateRecord>(*s, [](const Statement& row) {
    return FailoverStateRecord{row.column_int(0),  row.column_optional_int(1), row.column_text(2),
                               row.column_text(3), row.column_int(4),          row.column_text(5),
                               row.column_int(6)};
  });
}

Status insert_alert_channel(Database& db, const AlertChannelRecord& c) {
  auto s = db.prepare(
      "INSERT INTO alert_channels (name, kind, settings_json, secrets_box, created_ms) VALUES (?, ?, ?, ?, "
      "?)");
  if (!s) return s.error();
  s->bind(1, c.name).bind(2, c.kind).bind(3, c.settings_json).bind(4, c.secrets_box).bind(5, c.created_ms);
  if (auto status = s->run(); !status) {
    if (status.error().kind == Errc::conflict) {
      return Error::conflict("alert_channel_exists",
                             "an alert channel named '" + c.name + "' already exists");
    }
    return status;
  }
  return {};
}

Result<std::vector<AlertChannelRecord>> list_alert_channels(Database& db) {
  auto s = db.prepare(
      "SELECT name, kind, settings_json, secrets_box, created_ms FROM alert_channels ORDER BY name");
  if (!s) return s.error();
  return rows::collect<AlertChannelRecord>(*s, [](const Statement& row) {
    return AlertChannelRecord{row.column_text(0), row.column_text(1), row.column_text(2), row.column_text(3),
                              row.column_int(4)};
  });
}

Status delete_alert_channel(Database& db, std::string_view name) {
  auto s = db.prepare("DELETE FROM alert_channels WHERE name = ?");
  if (!s) return s.error();
  s->bind(1, name);
  if (auto status = s->run(); !status) return status;
  if (db.changes() == 0) {
    return Error::not_found("alert_channel_not_found", "no alert channel named '" + std::string(name) + "'");
  }
  return {};
}

}  // namespace balctl::store::failover_queries
