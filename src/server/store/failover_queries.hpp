// Internal to the SQLite store: the queries behind failover roles, DNS bindings, failover state and
// alert channels. Callers hold the store's lock.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "server/store/records.hpp"
#include "server/store/sqlite.hpp"

namespace balctl::store::failover_queries {

Status commit_roles(Database& db, std::int64_t pool_id, std::int64_t active_id, std::optional<std::int64_t> previous_id,
                    std::string_view previous_role);
Status set_member_role(Database& db, std::int64_t member_id, std::string_view role);
Status put_dns_binding(Database& db, const DnsBindingRecord& binding);
Result<std::optional<DnsBindingRecord>> get_dns_binding(Database& db, std::int64_t pool_id);
Status delete_dns_binding(Database& db, std::int64_t pool_id);
Status save_failover_state(Database& db, const FailoverStateRecord& state);
Result<std::vector<FailoverStateRecord>> load_failover_states(Database& db);
Status insert_alert_channel(Database& db, const AlertChannelRecord& channel);
Result<std::vector<AlertChannelRecord>> list_alert_channels(Database& db);
Status delete_alert_channel(Database& db, std::string_view name);

}  // namespace balctl::store::failover_queries
