#include "server/failover/probe_board.hpp"

namespace balctl::failover {
namespace {
constexpr std::int64_t kTaskLifetimeMs = 5000;
constexpr std::int64_t kVoteLifetimeMs = 60'000;
}  // namespace

void ProbeBoard::assign(const ProbeRequest& request, std::int64_t now) {
  std::lock_guard lock(mutex_);
  // Probe ids grow with time and every entry lives equally long, so the expired ones are at the front:
  // pruning costs what expired, not the board's size (thousands of pools may be confirming at once).
  while (!pools_.empty() && pools_.begin()->second.second < now) pools_.erase(pools_.begin());
  pools_[request.probe_id] = {request.pool_id, now + kVoteLifetimeMs};
  for (const auto voter : request.voters) {
    protocol::ProbeTask task{request.probe_id,       request.target_ipv4,  request.ports,
                             request.plan.attempt_timeout_ms, request.plan.attempts, request.plan.spacing_ms};
    by_member_[voter].push_back({std::move(task), now + kTaskLifetimeMs});
  }
}

std::vector<protocol::ProbeTask> ProbeBoard::take(std::int64_t member_id, std::int64_t now) {
  std::lock_guard lock(mutex_);
  std::vector<protocol::ProbeTask> tasks;
  const auto it = by_member_.find(member_id);
  if (it == by_member_.end()) return tasks;
  for (auto& waiting : it->second) {
    if (waiting.expires >= now && tasks.size() < protocol::kMaxProbes) tasks.push_back(std::move(waiting.task));
  }
  by_member_.erase(it);
  return tasks;
}

std::int64_t ProbeBoard::pool_of(std::int64_t probe_id) const {
  std::lock_guard lock(mutex_);
  const auto it = pools_.find(probe_id);
  return it == pools_.end() ? 0 : it->second.first;
}

}  // namespace balctl::failover
