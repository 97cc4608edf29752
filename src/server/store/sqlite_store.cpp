// SQLite implementation of Store. One connection guarded by a mutex: admin writes are rare and short,
// and the heartbeat path never waits on it (liveness reaches the store only through save_batch).
#include <mutex>

#include "server/store/failover_queries.hpp"
#include "server/store/migrations.hpp"
#include "server/store/sqlite.hpp"
#include "server/store/sqlite_rows.hpp"
#include "server/store/store.hpp"

namespace balctl::store {
namespace {

using namespace rows;

// Which unique constraint a conflict broke, from SQLite's "UNIQUE constraint failed: pools.hostname".
bool violates(const Error& error, std::string_view columns) {
  return error.kind == Errc::conflict && error.message.find(columns) != std::string::npos;
}

// The unique indexes of migration 5 are the backstop; FleetService checks first and names the other pool
// or member, so these messages are only seen when two admin requests race.
Error hostname_in_use(std::string_view hostname) {
  return Error{Errc::conflict, "hostname_in_use",
               "hostname " + std::string(hostname) + " is already managed by another pool", "hostname"};
}

class SqliteStore final : public Store {
 public:
  explicit SqliteStore(Database db) : db_(std::move(db)) {}

  Result<PoolRecord> insert_pool(const PoolRecord& pool) override {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(
        "INSERT INTO pools (name, hostname, preset, delay_s, haproxy_grace_s, failback, ttl_s, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    if (!s) return s.error();
    s->bind(1, pool.name).bind(2, pool.hostname).bind(3, pool.preset).bind(4, pool.delay_s);
    s->bind(5, pool.haproxy_grace_s).bind(6, pool.failback).bind(7, pool.ttl_s).bind(8, pool.created_ms);
    if (auto status = s->run(); !status) {
      // A row can break both constraints and SQLite names the first index it checked: the name wins.
      if (violates(status.error(), "pools.hostname") &&
          !exists("SELECT 1 FROM pools WHERE name = ?", pool.name)) {
        return hostname_in_use(pool.hostname);
      }
      if (status.error().kind == Errc::conflict) {
        return Error::conflict("pool_exists", "a pool named '" + pool.name + "' already exists");
      }
      return status.error();
    }
    PoolRecord stored = pool;
    stored.id = db_.last_insert_id();
    return stored;
  }

  Result<std::vector<PoolRecord>> list_pools() override {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(std::string("SELECT ") + kPoolColumns + " FROM pools ORDER BY name");
    if (!s) return s.error();
    return collect<PoolRecord>(*s, read_pool);
  }

  Result<PoolRecord> find_pool(std::string_view name) override {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(std::string("SELECT ") + kPoolColumns + " FROM pools WHERE name = ?");
    if (!s) return s.error();
    s->bind(1, name);
    return single<PoolRecord>(
        *s, read_pool, Error::not_found("pool_not_found", "no pool named '" + std::string(name) + "'"));
  }

  Result<std::optional<PoolRecord>> find_pool_by_hostname(std::string_view hostname) override {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(std::string("SELECT ") + kPoolColumns +
                         " FROM pools WHERE hostname = ? ORDER BY id LIMIT 1");
    if (!s) return s.error();
    s->bind(1, hostname);
    auto row = s->step();
    if (!row) return row.error();
    if (!*row) return std::optional<PoolRecord>{};
    return std::optional<PoolRecord>(read_pool(*s));
  }

  Status update_pool(const PoolRecord& pool) override {
    std::lock_guard lock(mutex_);
    // A legacy duplicate (migration 5) that gets a new hostname joins the unique index.
    auto s = db_.prepare(
        "UPDATE pools SET legacy_duplicate = (legacy_duplicate AND hostname = ?1), hostname = ?1, "
        "preset = ?2, delay_s = ?3, haproxy_grace_s = ?4, failback = ?5, ttl_s = ?6, active_member_id = ?7, "
        "probe_ports = ?8, failback_after_s = ?9, dwell_s = ?10, settle_s = ?11, dns_sync = ?12, "
        "dns_repair = ?13 WHERE id = ?14");
    if (!s) return s.error();
    s->bind(1, pool.hostname).bind(2, pool.preset).bind(3, pool.delay_s).bind(4, pool.haproxy_grace_s);
    s->bind(5, pool.failback).bind(6, pool.ttl_s).bind(7, pool.active_member_id).bind(8, pool.probe_ports);
    s->bind(9, pool.failback_after_s).bind(10, pool.dwell_s).bind(11, pool.settle_s);
    s->bind(12, std::int64_t{pool.dns_sync ? 1 : 0}).bind(13, std::int64_t{pool.dns_repair ? 1 : 0});
    s->bind(14, pool.id);
    auto status = s->run();
    if (!status && violates(status.error(), "pools.hostname")) return hostname_in_use(pool.hostname);
    return status;
  }

  Status delete_pool(std::int64_t pool_id) override {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("DELETE FROM pools WHERE id = ?");
    if (!s) return s.error();
    s->bind(1, pool_id);
    return s->run();
  }

  Result<MemberRecord> insert_member(const MemberRecord& member, const EnrollmentKeyRecord& key) override {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    if (!transaction.begun()) return transaction.begun().error();
    auto s = db_.prepare(
        "INSERT INTO members (pool_id, hostname, ipv4, egress_ip, role, priority, created_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)");
    if (!s) return s.error();
    s->bind(1, member.pool_id).bind(2, member.hostname).bind(3, member.ipv4).bind(4, member.egress_ip);
    s->bind(5, member.role).bind(6, member.priority).bind(7, member.created_ms);
    if (auto status = s->run(); !status) {
      if (violates(status.error(), "members.ipv4") &&
          !exists("SELECT 1 FROM members WHERE pool_id = ?1 AND hostname = ?2", member.pool_id,
                  member.hostname)) {
        return Error{Errc::conflict, "ipv4_in_use",
                     "address " + member.ipv4 + " is already used by another member of this pool", "ipv4"};
      }
      if (status.error().kind == Errc::conflict) {
        return Error::conflict("member_exists", "member '" + member.hostname + "' is already in this pool");
      }
      return status.error();
    }
    MemberRecord stored = member;
    stored.id = db_.last_insert_id();
    EnrollmentKeyRecord stored_key = key;
    stored_key.member_id = stored.id;
    if (auto status = insert_key(stored_key); !status) return status.error();
    if (auto status = transaction.commit(); !status) return status.error();
    return stored;
  }

  Result<std::vector<MemberRecord>> list_members(std::optional<std::int64_t> pool_id) override {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(std::string("SELECT ") + kMemberColumns +
                         " FROM members WHERE (?1 IS NULL OR pool_id = ?1) ORDER BY pool_id, hostname");
    if (!s) return s.error();
    s->bind(1, pool_id);
    return collect<MemberRecord>(*s, read_member);
  }

  Result<MemberRecord> find_member(std::int64_t pool_id, std::string_view hostname) override {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(std::string("SELECT ") + kMemberColumns +
                         " FROM members WHERE pool_id = ? AND hostname = ?");
    if (!s) return s.error();
    s->bind(1, pool_id).bind(2, hostname);
    return single<MemberRecord>(
        *s, read_member,
        Error::not_found("member_not_found", "no member '" + std::string(hostname) + "' in this pool"));
  }

  Result<MemberRecord> find_member_by_id(std::int64_t member_id) override {
    std::lock_guard lock(mutex_);
    return member_by_id(member_id);
  }

  Status delete_member(std::int64_t member_id) override {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    if (!transaction.begun()) return transaction.begun().error();
    auto clear = db_.prepare("UPDATE pools SET active_member_id = NULL WHERE active_member_id = ?");
    if (!clear) return clear.error();
    clear->bind(1, member_id);
    if (auto status = clear->run(); !status) return status;
    auto s = db_.prepare("DELETE FROM members WHERE id = ?");
    if (!s) return s.error();
    s->bind(1, member_id);
    if (auto status = s->run(); !status) return status;
    return transaction.commit();
  }

  Status replace_enrollment_key(const EnrollmentKeyRecord& key) override {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    if (!transaction.begun()) return transaction.begun().error();
    auto s = db_.prepare("DELETE FROM enrollment_keys WHERE member_id = ? AND used_ms IS NULL");
    if (!s) return s.error();
    s->bind(1, key.member_id);
    if (auto status = s->run(); !status) return status;
    if (auto status = insert_key(key); !status) return status;
    return transaction.commit();
  }

  Result<EnrollmentKeyRecord> find_enrollment_key(std::string_view key_id) override {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(
        "SELECT id, member_id, key_hash, created_ms, expires_ms, used_ms FROM enrollment_keys WHERE id = ?");
    if (!s) return s.error();
    s->bind(1, key_id);
    return single<EnrollmentKeyRecord>(
        *s,
        [](const Statement& row) {
          return EnrollmentKeyRecord{row.column_text(0), row.column_int(1), row.column_text(2),
                                     row.column_int(3),  row.column_int(4), row.column_optional_int(5)};
        },
        Error{Errc::unauthorized, "invalid_enrollment_key", "the enrollment key is not valid", {}});
  }

  Result<MemberRecord> redeem_enrollment_key(std::string_view key_id, std::string_view secret_hash,
                                             std::int64_t now_ms) override {
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    if (!transaction.begun()) return transaction.begun().error();
    auto mark = db_.prepare("UPDATE enrollment_keys SET used_ms = ? WHERE id = ? AND used_ms IS NULL");
    if (!mark) return mark.error();
    mark->bind(1, now_ms).bind(2, key_id);
    if (auto status = mark->run(); !status) return status.error();
    if (db_.changes() != 1) {
      // Nothing marked: either the key was used already or there is no such key.
      if (auto known = key_member(key_id); !known) return known.error();
      return Error::conflict("enrollment_key_used", "the enrollment key has already been used");
    }
    auto member_id = key_member(key_id);
    if (!member_id) return member_id.error();
    auto member = member_by_id(*member_id);
    if (!member) return member.error();
    auto pool_active = db_.prepare("SELECT active_member_id FROM pools WHERE id = ?");
    if (!pool_active) return pool_active.error();
    pool_active->bind(1, member->pool_id);
    if (auto row = pool_active->step(); !row) return row.error();
    const auto active = pool_active->column_optional_int(0);
    const bool becomes_active = !active || *active == member->id;
    if (becomes_active) {
      auto set_active = db_.prepare("UPDATE pools SET active_member_id = ? WHERE id = ?");
      if (!set_active) return set_active.error();
      set_active->bind(1, member->id).bind(2, member->pool_id);
      if (auto status = set_active->run(); !status) return status.error();
    }
    member->role = becomes_active ? "active" : (member->role == "maintenance" ? "maintenance" : "standby");
    member->secret_hash = std::string(secret_hash);
    member->enrolled_ms = now_ms;
    auto update = db_.prepare("UPDATE members SET role = ?, secret_hash = ?, enrolled_ms = ? WHERE id = ?");
    if (!update) return update.error();
    update->bind(1, member->role).bind(2, secret_hash).bind(3, now_ms).bind(4, member->id);
    if (auto status = update->run(); !status) return status.error();
    if (auto status = transaction.commit(); !status) return status.error();
    return member;
  }

  Status commit_roles(std::int64_t pool_id, std::int64_t active_id, std::optional<std::int64_t> previous_id,
                      std::string_view previous_role) override {
    std::lock_guard lock(mutex_);
    return failover_queries::commit_roles(db_, pool_id, active_id, previous_id, previous_role);
  }

  Status set_member_role(std::int64_t member_id, std::string_view role) override {
    std::lock_guard lock(mutex_);
    return failover_queries::set_member_role(db_, member_id, role);
  }

  Status put_dns_binding(const DnsBindingRecord& binding) override {
    std::lock_guard lock(mutex_);
    return failover_queries::put_dns_binding(db_, binding);
  }

  Result<std::optional<DnsBindingRecord>> get_dns_binding(std::int64_t pool_id) override {
    std::lock_guard lock(mutex_);
    return failover_queries::get_dns_binding(db_, pool_id);
  }

  Status delete_dns_binding(std::int64_t pool_id) override {
    std::lock_guard lock(mutex_);
    return failover_queries::delete_dns_binding(db_, pool_id);
  }

  Status save_failover_state(const FailoverStateRecord& state) override {
    std::lock_guard lock(mutex_);
    return failover_queries::save_failover_state(db_, state);
  }

  Result<std::vector<FailoverStateRecord>> load_failover_states() override {
    std::lock_guard lock(mutex_);
    return failover_queries::load_failover_states(db_);
  }

  Status insert_alert_channel(const AlertChannelRecord& channel) override {
    std::lock_guard lock(mutex_);
    return failover_queries::insert_alert_channel(db_, channel);
  }

  Result<std::vector<AlertChannelRecord>> list_alert_channels() override {
    std::lock_guard lock(mutex_);
    return failover_queries::list_alert_channels(db_);
  }

  Status delete_alert_channel(std::string_view name) override {
    std::lock_guard lock(mutex_);
    return failover_queries::delete_alert_channel(db_, name);
  }

  Status insert_token(const TokenRecord& token) override {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("INSERT INTO admin_tokens (name, token_hash, created_ms) VALUES (?, ?, ?)");
    if (!s) return s.error();
    s->bind(1, token.name).bind(2, token.token_hash).bind(3, token.created_ms);
    if (auto status = s->run(); !status) {
      if (status.error().kind == Errc::conflict) {
        return Error::conflict("token_exists", "a token named '" + token.name + "' already exists");
      }
      return status;
    }
    return {};
  }

  Result<std::vector<TokenRecord>> list_tokens() override {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT name, token_hash, created_ms FROM admin_tokens ORDER BY name");
    if (!s) return s.error();
    return collect<TokenRecord>(*s, [](const Statement& row) {
      return TokenRecord{row.column_text(0), row.column_text(1), row.column_int(2)};
    });
  }

  Status delete_token(std::string_view name) override {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("DELETE FROM admin_tokens WHERE name = ?");
    if (!s) return s.error();
    s->bind(1, name);
    if (auto status = s->run(); !status) return status;
    if (db_.changes() == 0)
      return Error::not_found("token_not_found", "no token named '" + std::string(name) + "'");
    return {};
  }

  Result<std::int64_t> append_event(const EventRecord& event) override {
    std::lock_guard lock(mutex_);
    if (auto status = insert_event(db_, event); !status) return status.error();
    return db_.last_insert_id();
  }

  Result<std::vector<EventRecord>> list_events(const EventQuery& query) override {
    std::lock_guard lock(mutex_);
    // Newest `limit` events after the cursor, returned oldest first so a follower can print in order.
    auto s = db_.prepare(
        "SELECT * FROM (SELECT id, at_ms, kind, pool, member, actor, message FROM events "
        "WHERE id > ?1 AND (?2 IS NULL OR pool = ?2) ORDER BY id DESC LIMIT ?3) ORDER BY id");
    if (!s) return s.error();
    s->bind(1, query.after_id).bind(2, query.pool).bind(3, query.limit);
    return collect<EventRecord>(*s, read_event);
  }

  Status save_batch(const std::vector<MemberStateRecord>& states,
                    const std::vector<EventRecord>& events) override {
    if (states.empty() && events.empty()) return {};
    std::lock_guard lock(mutex_);
    Transaction transaction(db_);
    if (!transaction.begun()) return transaction.begun().error();
    // Nearly every row exists already: a plain UPDATE by primary key is the cheap common case; the INSERT
    // (guarded so that members deleted since the snapshot are skipped) only runs for a first report.
    auto update_state = db_.prepare(
        "UPDATE member_state SET last_seen_ms = ?2, seq = ?3, agent_version = ?4, haproxy_state = ?5, "
        "source_ip = ?6, online = ?8, report_ms = CASE WHEN ?9 THEN ?7 ELSE report_ms END, "
        "haproxy_version = ?10 WHERE member_id = ?1");
    if (!update_state) return update_state.error();
    auto insert_state = db_.prepare(
        "INSERT OR IGNORE INTO member_state (member_id, last_seen_ms, seq, agent_version, haproxy_state, "
        "source_ip, report_ms, online, haproxy_version) SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9 "
        "WHERE EXISTS (SELECT 1 FROM members WHERE id = ?1)");
    if (!insert_state) return insert_state.error();
    auto report_row = db_.prepare(
        "INSERT INTO member_reports (member_id, report_json, report_ms) SELECT ?1, ?2, ?3 "
        "WHERE EXISTS (SELECT 1 FROM members WHERE id = ?1) "
        "ON CONFLICT (member_id) DO UPDATE SET report_json = excluded.report_json, report_ms = excluded.report_ms");
    if (!report_row) return report_row.error();
    for (const auto& state : states) {
      const bool has_report = state.report_json.has_value();
      update_state->bind(1, state.member_id).bind(2, state.last_seen_ms).bind(3, state.seq);
      update_state->bind(4, state.agent_version).bind(5, state.haproxy_state).bind(6, state.source_ip);
      update_state->bind(7, state.report_ms).bind(8, std::int64_t{state.online ? 1 : 0});
      update_state->bind(9, std::int64_t{has_report ? 1 : 0}).bind(10, state.haproxy_version);
      if (auto status = update_state->run(); !status) return status;
      if (db_.changes() == 0) {
        insert_state->bind(1, state.member_id).bind(2, state.last_seen_ms).bind(3, state.seq);
        insert_state->bind(4, state.agent_version).bind(5, state.haproxy_state).bind(6, state.source_ip);
        insert_state->bind(7, state.report_ms).bind(8, std::int64_t{state.online ? 1 : 0});
        insert_state->bind(9, state.haproxy_version);
        if (auto status = insert_state->run(); !status) return status;
      }
      if (!has_report) continue;
      report_row->bind(1, state.member_id).bind(2, *state.report_json).bind(3, state.report_ms);
      if (auto status = report_row->run(); !status) return status;
    }
    for (const auto& event : events) {
      if (auto status = insert_event(db_, event); !status) return status;
    }
    return transaction.commit();
  }

  Result<std::vector<MemberStateRecord>> load_states() override {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare(
        "SELECT member_id, last_seen_ms, seq, agent_version, haproxy_state, source_ip, report_ms, online, "
        "haproxy_version FROM member_state");
    if (!s) return s.error();
    return collect<MemberStateRecord>(*s, [](const Statement& row) {
      MemberStateRecord state;
      state.member_id = row.column_int(0);
      state.last_seen_ms = row.column_int(1);
      state.seq = row.column_int(2);
      state.agent_version = row.column_text(3);
      state.haproxy_state = row.column_text(4);
      state.source_ip = row.column_text(5);
      state.report_ms = row.column_int(6);
      state.online = row.column_int(7) != 0;
      state.haproxy_version = row.column_text(8);
      return state;
    });
  }

  Result<std::optional<std::string>> load_report(std::int64_t member_id) override {
    std::lock_guard lock(mutex_);
    auto s = db_.prepare("SELECT report_json FROM member_reports WHERE member_id = ?");
    if (!s) return s.error();
    s->bind(1, member_id);
    auto row = s->step();
    if (!row) return row.error();
    if (!*row) return std::optional<std::string>{};
    return s->column_optional_text(0);
  }

  Status flush() override {
    std::lock_guard lock(mutex_);
    return db_.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

 private:
  Status insert_key(const EnrollmentKeyRecord& key) {
    auto s = db_.prepare(
        "INSERT INTO enrollment_keys (id, member_id, key_hash, created_ms, expires_ms) VALUES (?, ?, ?, ?, "
        "?)");
    if (!s) return s.error();
    s->bind(1, key.id)
        .bind(2, key.member_id)
        .bind(3, key.key_hash)
        .bind(4, key.created_ms)
        .bind(5, key.expires_ms);
    return s->run();
  }

  // Whether the query with these parameters finds a row (false on any error: only used to choose the
  // wording of a conflict).
  template <class... Params>
  bool exists(std::string_view sql, const Params&... params) {
    auto s = db_.prepare(sql);
    if (!s) return false;
    int index = 0;
    (s->bind(++index, params), ...);
    auto row = s->step();
    return row && *row;
  }

  Result<std::int64_t> key_member(std::string_view key_id) {
    auto s = db_.prepare("SELECT member_id FROM enrollment_keys WHERE id = ?");
    if (!s) return s.error();
    s->bind(1, key_id);
    // The same error as find_enrollment_key(), so callers see one answer for "no such key".
    return single<std::int64_t>(
        *s, [](const Statement& row) { return row.column_int(0); },
        Error{Errc::unauthorized, "invalid_enrollment_key", "the enrollment key is not valid", {}});
  }

  Result<MemberRecord> member_by_id(std::int64_t member_id) {
    auto s = db_.prepare(std::string("SELECT ") + kMemberColumns + " FROM members WHERE id = ?");
    if (!s) return s.error();
    s->bind(1, member_id);
    return single<MemberRecord>(*s, read_member, Error::not_found("member_not_found", "no such member"));
  }

  std::mutex mutex_;
  Database db_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& database_file) {
  auto db = Database::open(database_file);
  if (!db) return db.error();
  auto version = migrate(*db);
  if (!version) return version.error();
  return std::unique_ptr<Store>(std::make_unique<SqliteStore>(std::move(*db)));
}

}  // namespace balctl::store
