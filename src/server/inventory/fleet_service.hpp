// Pools and members: the logic behind the admin API. Validated specs in, store records and liveness
// views out; every change is written to the store first, then mirrored into the in-memory registry, then
// recorded as an event with its actor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "server/events/event_log.hpp"
#include "server/fleet/fleet_observer.hpp"
#include "server/fleet/registry.hpp"
#include "server/fleet/specs.hpp"
#include "server/liveness/liveness_table.hpp"
#include "server/store/store.hpp"

namespace balctl::inventory {

// How agents reach this control plane; used to print the install command.
struct AgentEndpoint {
  std::string api_base;     // e.g. https://cp.example.com:8443
  std::string pinned_key;   // "sha256//BASE64" of a self-signed certificate's key; empty for a CA-issued one
};

struct MemberView {
  store::MemberRecord record;
  liveness::MemberStatus status = liveness::MemberStatus::never_seen;
  std::optional<std::int64_t> last_heartbeat_age_ms;
  std::optional<liveness::Entry> liveness;
};

struct PoolView {
  store::PoolRecord record;
  std::vector<MemberView> members;
  std::string active_hostname;
};

struct IssuedKey {
  MemberView member;
  std::string pool;
  std::string key;
  std::int64_t expires_ms = 0;
  std::string install_command;
};

class FleetService {
 public:
  FleetService(store::Store& store, fleet::Registry& registry, liveness::LivenessTable& liveness, events::EventLog& events,
               AgentEndpoint endpoint);

  // Fills the registry and the liveness table from the store; called once at start.
  Status load();

  // Errors include hostname_in_use (409) when another pool manages the hostname.
  Result<store::PoolRecord> create_pool(const fleet::PoolSpec& spec, std::string_view actor);
  Result<std::vector<PoolView>> list_pools();
  Result<PoolView> get_pool(std::string_view name);
  Result<store::PoolRecord> update_pool(std::string_view name, const fleet::PoolPatch& patch, std::string_view actor);
  Status delete_pool(std::string_view name, bool force, std::string_view actor);

  // Errors include ipv4_in_use (409) when another member of the pool has the address.
  Result<IssuedKey> add_member(std::string_view pool, const fleet::MemberSpec& spec, std::string_view actor);
  Result<MemberView> get_member(std::string_view pool, std::string_view hostname);
  // The last full report the member sent, as JSON text, when one has been stored.
  Result<std::optional<std::string>> member_report(std::int64_t member_id);
  Status remove_member(std::string_view pool, std::string_view hostname, std::string_view actor);
  // Issues a fresh enrollment key for an existing member (re-install, lost agent.env).
  Result<IssuedKey> rekey_member(std::string_view pool, std::string_view hostname, std::int64_t key_ttl_s,
                                 std::string_view actor);

  std::string install_command(std::string_view key, std::string_view hostname) const;
  void set_observer(fleet::FleetObserver* observer) { observer_ = observer; }

 private:
  MemberView view_of(const store::MemberRecord& member, std::int64_t delay_s) const;
  Result<PoolView> build_view(const store::PoolRecord& pool);
  Result<IssuedKey> issue_key(const store::PoolRecord& pool, const store::MemberRecord& member, std::int64_t ttl_s);
  // Conflict "hostname_in_use" naming the pool that already manages `hostname`.
  Status check_hostname_free(const std::string& hostname);

  store::Store& store_;
  fleet::Registry& registry_;
  liveness::LivenessTable& liveness_;
  events::EventLog& events_;
  AgentEndpoint endpoint_;
  fleet::FleetObserver* observer_ = nullptr;
};

}  // namespace balctl::inventory
