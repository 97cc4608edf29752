// Carries out ApplyDns actions off the request threads: change the record through the pool's provider,
// then ask the authority until it answers the new address (and, where there is one, a newer SOA serial).
// The outcome goes back to the engine through `done`.
#pragma once

#include <chrono>
#include <functional>
#include <optional>

#include "common/result.hpp"
#include "common/work_queue.hpp"
#include "server/dns/provider_config.hpp"
#include "server/failover/engine_types.hpp"

namespace balctl::failover {

using ProviderLoader = std::function<Result<std::optional<dns::ProviderConfig>>(std::int64_t pool_id)>;
using DnsDone = std::function<void(const ApplyDns& job, const Status& result)>;

class DnsExecutor {
 public:
  DnsExecutor(ProviderLoader loader, DnsDone done, std::chrono::milliseconds verify_timeout);
  ~DnsExecutor();

  void submit(const ApplyDns& job);
  void stop();

  // One change and its verification, synchronously (used by the worker; public for tests).
  Status apply(const ApplyDns& job);

 private:
  ProviderLoader loader_;
  DnsDone done_;
  std::chrono::milliseconds verify_timeout_;
  WorkQueue workers_;
};

}  // namespace balctl::failover
