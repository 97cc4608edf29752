// Admin API routes: pools, members, enrollment keys, tokens, events, status. Each handler
// authenticates, parses, calls one service function and formats the result.
#pragma once

#include "server/alerts/alert_service.hpp"
#include "server/auth/admin_tokens.hpp"
#include "server/dns/dns_bindings.hpp"
#include "server/failover/failover_service.hpp"
#include "server/events/event_log.hpp"
#include "server/inventory/fleet_service.hpp"
#include "server/http/router.hpp"

namespace balctl::api {

struct AdminApi {
  auth::AdminTokens& tokens;
  inventory::FleetService& fleet;
  events::EventLog& events;
  dns::DnsBindings& dns;
  failover::FailoverService& failover;
  alerts::AlertService& alerts;
};

void add_pool_routes(http::Router& router, const AdminApi& api);
void add_member_routes(http::Router& router, const AdminApi& api);
void add_admin_routes(http::Router& router, const AdminApi& api);  // tokens, events, status
void add_failover_routes(http::Router& router, const AdminApi& api);  // dns, failover, maintenance
void add_alert_routes(http::Router& router, const AdminApi& api);

}  // namespace balctl::api
