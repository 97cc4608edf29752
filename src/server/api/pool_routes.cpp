#include "server/api/admin_api.hpp"
#include "server/api/handler_support.hpp"
#include "server/api/views.hpp"
#include "server/http/api_error.hpp"

namespace balctl::api {

using http::Method;
using http::PathParams;
using http::Request;
using http::unwrap;

void add_pool_routes(http::Router& router, const AdminApi& api) {
  router.add(Method::get, "/api/v1/pools", [api](const Request& request, const PathParams&) {
    require_admin(api.tokens, request);
    boost::json::array pools;
    for (const auto& pool : unwrap(api.fleet.list_pools())) {
      auto json = pool_json(pool);
      add_failover_view(json, pool, api.failover);
      pools.push_back(std::move(json));
    }
    return reply(200, {{"pools", std::move(pools)}});
  });

  router.add(Method::post, "/api/v1/pools", [api](const Request& request, const PathParams&) {
    const auto actor = require_admin(api.tokens, request);
    const auto spec = unwrap(fleet::parse_pool_spec(body_object(request)));
    const auto pool = unwrap(api.fleet.create_pool(spec, actor));
    return reply(201, pool_json(unwrap(api.fleet.get_pool(pool.name))));
  });

  router.add(Method::get, "/api/v1/pools/{pool}", [api](const Request& request, const PathParams& params) {
    require_admin(api.tokens, request);
    const auto name = unwrap(fleet::parse_pool_name(path_param(params, "pool")));
    const auto view = unwrap(api.fleet.get_pool(name));
    auto json = pool_json(view);
    add_failover_view(json, view, api.failover);
    return reply(200, json);
  });

  router.add(Method::patch, "/api/v1/pools/{pool}", [api](const Request& request, const PathParams& params) {
    const auto actor = require_admin(api.tokens, request);
    const auto name = unwrap(fleet::parse_pool_name(path_param(params, "pool")));
    const auto patch = unwrap(fleet::parse_pool_patch(body_object(request)));
    unwrap(api.fleet.update_pool(name, patch, actor));
    return reply(200, pool_json(unwrap(api.fleet.get_pool(name))));
  });

  router.add(Method::del, "/api/v1/pools/{pool}", [api](const Request& request, const PathParams& params) {
    const auto actor = require_admin(api.tokens, request);
    const auto name = unwrap(fleet::parse_pool_name(path_param(params, "pool")));
    unwrap(api.fleet.delete_pool(name, query_bool(request, "force"), actor));
    return reply(200, {{"deleted", name}});
  });
}

}  // namespace balctl::api
