#include <boost/json/parse.hpp>

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

struct MemberPath {
  std::string pool;
  std::string hostname;
};

MemberPath member_path(const PathParams& params) {
  return {unwrap(fleet::parse_pool_name(path_param(params, "pool"))),
          unwrap(fleet::parse_member_hostname(path_param(params, "host")))};
}

}  // namespace

void add_member_routes(http::Router& router, const AdminApi& api) {
  router.add(Method::get, "/api/v1/pools/{pool}/members", [api](const Request& request, const PathParams& params) {
    require_admin(api.tokens, request);
    const auto pool = unwrap(api.fleet.get_pool(unwrap(fleet::parse_pool_name(path_param(params, "pool")))));
    auto json = pool_json(pool);
    add_failover_view(json, pool, api.failover);
    return reply(200, {{"pool", pool.record.name}, {"members", json.at("members")}});
  });

  router.add(Method::post, "/api/v1/pools/{pool}/members", [api](const Request& request, const PathParams& params) {
    const auto actor = require_admin(api.tokens, request);
    const auto pool = unwrap(fleet::parse_pool_name(path_param(params, "pool")));
    const auto spec = unwrap(fleet::parse_member_spec(body_object(request)));
    return reply(201, issued_key_json(unwrap(api.fleet.add_member(pool, spec, actor))));
  });

  router.add(Method::get, "/api/v1/pools/{pool}/members/{host}", [api](const Request& request, const PathParams& params) {
    require_admin(api.tokens, request);
    const auto path = member_path(params);
    const auto member = unwrap(api.fleet.get_member(path.pool, path.hostname));
    auto out = member_json(member);
    out["pool"] = path.pool;
    out["failover_ready"] = api.failover.readiness(member.record.id);
    const auto report = unwrap(api.fleet.member_report(member.record.id));
    out["report"] = report ? boost::json::parse(*report) : boost::json::value(nullptr);
    return reply(200, out);
  });

  // Removing the active first moves the record (202: removed once the cutover is verified).
  router.add(Method::del, "/api/v1/pools/{pool}/members/{host}", [api](const Request& request, const PathParams& params) {
    const auto actor = require_admin(api.tokens, request);
    const auto path = member_path(params);
    const bool force = query_bool(request, "force");
    const bool dry_run = query_bool(request, "dry_run");
    const auto member = unwrap(api.fleet.get_member(path.pool, path.hostname));
    const auto plan = unwrap(api.failover.request_removal(member.record.id, force, dry_run, actor));
    if (dry_run) return reply(200, {{"plan", plan.summary}, {"dry_run", true}});
    if (!plan.remove_now) return reply(202, {{"plan", plan.summary}, {"removing", path.hostname}, {"pool", path.pool}});
    unwrap(api.fleet.remove_member(path.pool, path.hostname, actor));
    return reply(200, {{"removed", path.hostname}, {"pool", path.pool}, {"plan", plan.summary}});
  });

  router.add(Method::post, "/api/v1/pools/{pool}/members/{host}/enrollment-key",
             [api](const Request& request, const PathParams& params) {
               const auto actor = require_admin(api.tokens, request);
               const auto path = member_path(params);
               const auto body = body_object(request, true);
               json::FieldReader reader(body);
               const auto ttl = reader.optional_int("key_ttl_s", fleet::limits::kMinKeyTtlS, fleet::limits::kMaxKeyTtlS)
                                    .value_or(fleet::limits::kDefaultKeyTtlS);
               if (!reader.ok()) throw http::ApiError(reader.error());
               return reply(201, issued_key_json(unwrap(api.fleet.rekey_member(path.pool, path.hostname, ttl, actor))));
             });
}

}  // namespace balctl::api
