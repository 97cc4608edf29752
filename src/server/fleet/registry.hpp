// In-memory index of enrolled members and their pools, so a heartbeat is authenticated and judged
// without touching the store. The store stays the source of truth; services update this after each
// successful write (write-through).
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/store/records.hpp"

namespace balctl::fleet {

struct PoolSettings {
  std::int64_t id = 0;
  std::string name;
  std::string preset;
  std::int64_t delay_s = 10;
};

struct MemberIdentity {
  std::int64_t id = 0;
  std::int64_t pool_id = 0;
  std::string hostname;
  std::optional<std::string> egress_ip;
  std::string secret_hash;  // empty until enrolled
};

// A member together with its pool's current settings, as a heartbeat needs them.
struct MemberContext {
  MemberIdentity member;
  PoolSettings pool;
};

class Registry {
 public:
  void put_pool(const store::PoolRecord& pool);
  void remove_pool(std::int64_t pool_id);  // also forgets the pool's members
  void put_member(const store::MemberRecord& member);
  void remove_member(std::int64_t member_id);

  // The member whose stored secret hash equals `secret_hash` (compared in constant time).
  std::optional<MemberContext> authenticate(std::int64_t member_id, std::string_view secret_hash) const;
  std::optional<MemberContext> find(std::int64_t member_id) const;
  std::optional<PoolSettings> pool(std::int64_t pool_id) const;
  std::vector<PoolSettings> pools() const;

 private:
  std::optional<MemberContext> context_locked(std::int64_t member_id) const;

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::int64_t, PoolSettings> pools_;
  std::unordered_map<std::int64_t, MemberIdentity> members_;
};

}  // namespace balctl::fleet
