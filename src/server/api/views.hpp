// JSON shapes of the admin API. One function per resource so list and show print the same fields.
#pragma once

#include <boost/json/object.hpp>

#include "server/auth/admin_tokens.hpp"
#include "server/failover/failover_service.hpp"
#include "server/inventory/fleet_service.hpp"
#include "server/store/records.hpp"

namespace balctl::api {

boost::json::object pool_json(const inventory::PoolView& pool);
boost::json::object pool_settings_json(const store::PoolRecord& pool);
boost::json::object member_json(const inventory::MemberView& member);
boost::json::object issued_key_json(const inventory::IssuedKey& issued);
boost::json::object event_json(const store::EventRecord& event);
boost::json::object token_json(const auth::TokenInfo& token);

// A member's "haproxy" object: {state, version, stats: ok|unavailable|null, stats_error, display}. A
// HAProxy that runs while its stats socket gives nothing is degraded, and `display` says so:
// "running, stats unavailable: <reason>".
boost::json::object haproxy_json(protocol::HaproxyState state, const std::string& version,
                                 const std::string& stats_error);

// Adds the failover view to a pool_json(): {"failover": {phase, switching_to, published_ipv4}} and each
// member's "failover_ready" reason.
void add_failover_view(boost::json::object& pool, const inventory::PoolView& view, failover::FailoverService& failover);

}  // namespace balctl::api
