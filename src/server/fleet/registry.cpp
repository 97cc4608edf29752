#include "server/fleet/registry.hpp"

#include <mutex>

#include "common/crypto.hpp"

namespace balctl::fleet {

void Registry::put_pool(const store::PoolRecord& pool) {
  std::unique_lock lock(mutex_);
  pools_[pool.id] = PoolSettings{pool.id, pool.name, pool.preset, pool.delay_s};
}

void Registry::remove_pool(std::int64_t pool_id) {
  std::unique_lock lock(mutex_);
  pools_.erase(pool_id);
  std::erase_if(members_, [pool_id](const auto& entry) { return entry.second.pool_id == pool_id; });
}

void Registry::put_member(const store::MemberRecord& member) {
  std::unique_lock lock(mutex_);
  members_[member.id] =
      MemberIdentity{member.id, member.pool_id, member.hostname, member.egress_ip, member.secret_hash.value_or("")};
}

void Registry::remove_member(std::int64_t member_id) {
  std::unique_lock lock(mutex_);
  members_.erase(member_id);
}

std::optional<MemberContext> Registry::context_locked(std::int64_t member_id) const {
  const auto member = members_.find(member_id);
  if (member == members_.end()) return std::nullopt;
  const auto pool = pools_.find(member->second.pool_id);
  if (pool == pools_.end()) return std::nullopt;
  return MemberContext{member->second, pool->second};
}

std::optional<MemberContext> Registry::authenticate(std::int64_t member_id, std::string_view secret_hash) const {
  std::shared_lock lock(mutex_);
  const auto member = members_.find(member_id);
  if (member == members_.end() || member->second.secret_hash.empty()) return std::nullopt;
  if (!crypto::equal_constant_time(member->second.secret_hash, secret_hash)) return std::nullopt;
  return context_locked(member_id);
}

std::optional<MemberContext> Registry::find(std::int64_t member_id) const {
  std::shared_lock lock(mutex_);
  return context_locked(member_id);
}

std::optional<PoolSettings> Registry::pool(std::int64_t pool_id) const {
  std::shared_lock lock(mutex_);
  const auto it = pools_.find(pool_id);
  if (it == pools_.end()) return std::nullopt;
  return it->second;
}

std::vector<PoolSettings> Registry::pools() const {
  std::shared_lock lock(mutex_);
  std::vector<PoolSettings> out;
  out.reserve(pools_.size());
  for (const auto& [id, pool] : pools_) out.push_back(pool);
  return out;
}

}  // namespace balctl::fleet
