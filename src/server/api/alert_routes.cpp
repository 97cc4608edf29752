#include "server/api/admin_api.hpp"
#include "server/api/handler_support.hpp"
#include "server/http/api_error.hpp"

namespace balctl::api {

using http::Method;
using http::PathParams;
using http::Request;
using http::unwrap;

void add_alert_routes(http::Router& router, const AdminApi& api) {
  router.add(Method::get, "/api/v1/alerts", [api](const Request& request, const PathParams&) {
    require_admin(api.tokens, request);
    boost::json::array channels;
    for (const auto& channel : unwrap(api.alerts.list())) channels.push_back(alerts::masked_channel_json(channel));
    return reply(200, {{"channels", std::move(channels)}});
  });

  router.add(Method::post, "/api/v1/alerts", [api](const Request& request, const PathParams&) {
    const auto actor = require_admin(api.tokens, request);
    return reply(201, alerts::masked_channel_json(unwrap(api.alerts.create(body_object(request), actor))));
  });

  router.add(Method::del, "/api/v1/alerts/{name}", [api](const Request& request, const PathParams& params) {
    const auto actor = require_admin(api.tokens, request);
    const auto& name = path_param(params, "name");
    unwrap(api.alerts.remove(name, actor));
    return reply(200, {{"removed", name}});
  });

  router.add(Method::post, "/api/v1/alerts/{name}/test", [api](const Request& request, const PathParams& params) {
    const auto actor = require_admin(api.tokens, request);
    const auto& name = path_param(params, "name");
    const auto sent = api.alerts.test(name, actor);
    if (!sent && sent.error().kind == Errc::not_found) throw http::ApiError(sent.error());
    if (!sent) throw http::ApiError(502, "alert_test_failed", "test alert not delivered: " + sent.error().message);
    return reply(200, {{"sent", true}, {"channel", name}});
  });
}

}  // namespace balctl::api
