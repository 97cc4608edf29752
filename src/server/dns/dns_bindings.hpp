// Which DNS provider manages each pool's record (`balctl dns set/show/remove/check`). Settings live in
// the store with their secrets sealed by SecretBox; nothing here logs or returns a secret.
#pragma once

#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "server/auth/secret_box.hpp"
#include "server/dns/provider_config.hpp"
#include "server/events/event_log.hpp"
#include "server/store/store.hpp"

namespace balctl::dns {

struct BindingView {
  boost::json::object settings;        // secrets masked
  std::vector<std::string> warnings;   // e.g. TTL longer than the failover delay
  std::vector<std::string> answers;    // set(): what the record answered when the binding was checked
};

struct CheckReport {
  std::vector<std::string> addresses;  // what the authority answers now
  std::optional<std::uint32_t> serial;
};

class DnsBindings {
 public:
  DnsBindings(store::Store& store, const auth::SecretBox& secrets, events::EventLog& events);

  // Checks the credentials and the zone with a real read of the pool's record before storing anything.
  Result<BindingView> set(std::string_view pool, const boost::json::object& body, std::string_view actor);
  Result<BindingView> get(std::string_view pool);
  Status remove(std::string_view pool, std::string_view actor);
  // Asks the provider (or authority) what the pool's name resolves to right now.
  Result<CheckReport> check(std::string_view pool);

  // The decrypted binding of a pool, for the failover executor; nullopt when none is set.
  Result<std::optional<ProviderConfig>> load(std::int64_t pool_id);
  // What `fqdn` answers through the pool's provider now (drift checks).
  Result<std::vector<std::string>> read_record(std::int64_t pool_id, const std::string& fqdn);
  // The id of a pool by name (for callers that get the pool's name).
  Result<std::int64_t> pool_id(std::string_view pool);

  // Called after set/remove so failover knows whether a pool has a provider.
  void on_change(std::function<void(std::int64_t pool_id)> callback) { changed_ = std::move(callback); }

 private:
  struct Configured {
    store::PoolRecord pool;
    ProviderConfig config;
  };
  // The pool and its provider settings; not_found when the pool has no provider.
  Result<Configured> configured(std::string_view pool_name);
  std::vector<std::string> warnings(const store::PoolRecord& pool) const;

  store::Store& store_;
  const auth::SecretBox& secrets_;
  events::EventLog& events_;
  std::function<void(std::int64_t)> changed_;
};

}  // namespace balctl::dns
