#include <algorithm>

#include "common/json.hpp"
#include "server/api/admin_api.hpp"
#include "server/api/handler_support.hpp"
#include "server/api/views.hpp"
#include "server/http/api_error.hpp"

namespace balctl::api {

using http::Method;
using http::PathParams;
using http::Request;
using http::unwrap;

namespace {

bool healthy(const inventory::MemberView& member, const std::string& preset) {
  if (member.status != liveness::MemberStatus::online) return false;
  return preset == "generic" || (member.liveness && member.liveness->haproxy == protocol::HaproxyState::running);
}

// ok: active healthy and a healthy standby exists; no_standby: active healthy alone; down: active not
// healthy; dns_mismatch: the record was read back pointing elsewhere than the active (never "ok" while
// users are sent elsewhere); empty: nobody has enrolled yet.
std::string pool_state(const inventory::PoolView& pool, const std::optional<failover::PoolStatus>& status) {
  const inventory::MemberView* active = nullptr;
  std::int64_t healthy_standbys = 0;
  for (const auto& member : pool.members) {
    if (pool.record.active_member_id && member.record.id == *pool.record.active_member_id) {
      active = &member;
    } else if (member.record.role == "standby" && healthy(member, pool.record.preset)) {
      ++healthy_standbys;
    }
  }
  if (active == nullptr) {
    const bool any_enrolled = std::any_of(pool.members.begin(), pool.members.end(),
                                          [](const auto& member) { return member.record.enrolled_ms.has_value(); });
    return any_enrolled ? "down" : "empty";  // members but no active: nobody serves the name
  }
  if (!healthy(*active, pool.record.preset)) return "down";
  if (status && status->record == failover::RecordState::mismatch && status->phase != "switching") {
    return "dns_mismatch";
  }
  return healthy_standbys > 0 ? "ok" : "no_standby";
}

}  // namespace

void add_admin_routes(http::Router& router, const AdminApi& api) {
  router.add(Method::get, "/api/v1/status", [api](const Request& request, const PathParams&) {
    require_admin(api.tokens, request);
    boost::json::array pools;
    for (const auto& pool : unwrap(api.fleet.list_pools())) {
      auto summary = pool_json(pool);
      add_failover_view(summary, pool, api.failover);
      summary.erase("members");
      summary["state"] = pool_state(pool, api.failover.status(pool.record.id));
      pools.push_back(std::move(summary));
    }
    return reply(200, {{"pools", std::move(pools)}});
  });

  router.add(Method::get, "/api/v1/events", [api](const Request& request, const PathParams&) {
    require_admin(api.tokens, request);
    store::EventQuery query;
    query.after_id = query_int(request, "after", 0, 0, INT64_MAX);
    query.limit = query_int(request, "limit", 100, 1, 1000);
    if (const auto pool = request.query_param("pool")) query.pool = unwrap(fleet::parse_pool_name(*pool));
    boost::json::array events;
    for (const auto& event : unwrap(api.events.list(query))) events.push_back(event_json(event));
    return reply(200, {{"events", std::move(events)}});
  });

  router.add(Method::get, "/api/v1/tokens", [api](const Request& request, const PathParams&) {
    require_admin(api.tokens, request);
    boost::json::array tokens;
    for (const auto& token : unwrap(api.tokens.list())) tokens.push_back(token_json(token));
    return reply(200, {{"tokens", std::move(tokens)}});
  });

  router.add(Method::post, "/api/v1/tokens", [api](const Request& request, const PathParams&) {
    const auto actor = require_admin(api.tokens, request);
    const auto body = body_object(request);
    json::FieldReader reader(body);
    const auto name = reader.required_string("name", 63);
    if (!reader.ok()) throw http::ApiError(reader.error());
    const auto token = unwrap(api.tokens.create(name, actor));
    return reply(201, {{"name", name}, {"token", token}});
  });

  router.add(Method::del, "/api/v1/tokens/{name}", [api](const Request& request, const PathParams& params) {
    const auto actor = require_admin(api.tokens, request);
    const auto& name = path_param(params, "name");
    unwrap(api.tokens.revoke(name, actor));
    return reply(200, {{"revoked", name}});
  });
}

}  // namespace balctl::api
