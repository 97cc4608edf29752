// The store: everything that must survive a restart. One interface so that PostgreSQL can join SQLite
// later; every method is a single atomic operation and returns a Result.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "server/store/records.hpp"

namespace balctl::store {

class Store {
 public:
  virtual ~Store() = default;

  // --- pools
  virtual Result<PoolRecord> insert_pool(const PoolRecord& pool) = 0;
  virtual Result<std::vector<PoolRecord>> list_pools() = 0;
  virtual Result<PoolRecord> find_pool(std::string_view name) = 0;
  // The pool managing `hostname` (the oldest one if several do, in a database from before that was
  // refused), if any.
  virtual Result<std::optional<PoolRecord>> find_pool_by_hostname(std::string_view hostname) = 0;
  virtual Status update_pool(const PoolRecord& pool) = 0;
  virtual Status delete_pool(std::int64_t pool_id) = 0;

  // --- members and enrollment keys
  virtual Result<MemberRecord> insert_member(const MemberRecord& member, const EnrollmentKeyRecord& key) = 0;
  virtual Result<std::vector<MemberRecord>> list_members(std::optional<std::int64_t> pool_id) = 0;
  virtual Result<MemberRecord> find_member(std::int64_t pool_id, std::string_view hostname) = 0;
  virtual Result<MemberRecord> find_member_by_id(std::int64_t member_id) = 0;
  virtual Status delete_member(std::int64_t member_id) = 0;
  // Drops the member's unused keys and stores a new one.
  virtual Status replace_enrollment_key(const EnrollmentKeyRecord& key) = 0;
  virtual Result<EnrollmentKeyRecord> find_enrollment_key(std::string_view key_id) = 0;
  // Atomically: marks the key used (conflict "enrollment_key_used" if it already was), stores the member
  // secret hash, and makes the member active if its pool has no active member yet, standby otherwise.
  virtual Result<MemberRecord> redeem_enrollment_key(std::string_view key_id, std::string_view secret_hash,
                                                     std::int64_t now_ms) = 0;

  // Failover outcome: the new active, the old active's new role (standby or maintenance), atomically.
  virtual Status commit_roles(std::int64_t pool_id, std::int64_t active_id, std::optional<std::int64_t> previous_id,
                              std::string_view previous_role) = 0;
  virtual Status set_member_role(std::int64_t member_id, std::string_view role) = 0;

  // --- DNS bindings and failover state
  virtual Status put_dns_binding(const DnsBindingRecord& binding) = 0;
  virtual Result<std::optional<DnsBindingRecord>> get_dns_binding(std::int64_t pool_id) = 0;
  virtual Status delete_dns_binding(std::int64_t pool_id) = 0;
  virtual Status save_failover_state(const FailoverStateRecord& state) = 0;
  virtual Result<std::vector<FailoverStateRecord>> load_failover_states() = 0;

  // --- alert channels
  virtual Status insert_alert_channel(const AlertChannelRecord& channel) = 0;
  virtual Result<std::vector<AlertChannelRecord>> list_alert_channels() = 0;
  virtual Status delete_alert_channel(std::string_view name) = 0;

  // --- admin tokens
  virtual Status insert_token(const TokenRecord& token) = 0;
  virtual Result<std::vector<TokenRecord>> list_tokens() = 0;
  virtual Status delete_token(std::string_view name) = 0;

  // --- events
  virtual Result<std::int64_t> append_event(const EventRecord& event) = 0;
  virtual Result<std::vector<EventRecord>> list_events(const EventQuery& query) = 0;

  // --- liveness snapshots (group commit: one transaction per batch)
  virtual Status save_batch(const std::vector<MemberStateRecord>& states, const std::vector<EventRecord>& events) = 0;
  virtual Result<std::vector<MemberStateRecord>> load_states() = 0;
  virtual Result<std::optional<std::string>> load_report(std::int64_t member_id) = 0;

  // Checkpoints the WAL; called on shutdown.
  virtual Status flush() = 0;
};

// Opens DIR/balctl.db, applies migrations, refuses a newer schema.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& database_file);

}  // namespace balctl::store
