#include "common/json.hpp"
#include "server/api/admin_api.hpp"
#include "server/api/handler_support.hpp"
#include "server/http/api_error.hpp"

namespace balctl::api {

using http::Method;
using http::PathParams;
using http::Request;
using http::unwrap;

namespace {

struct Flags {
  bool force = false;
  bool dry_run = false;
};

Flags read_flags(json::FieldReader& reader) {
  Flags flags;
  flags.force = reader.optional_bool("force").value_or(false);
  flags.dry_run = reader.optional_bool("dry_run").value_or(false);
  return flags;
}

boost::json::object plan_json(const failover::Plan& plan, bool dry_run) {
  return {{"plan", plan.summary}, {"dry_run", dry_run}};
}

boost::json::array strings(const std::vector<std::string>& items) {
  boost::json::array out;
  for (const auto& item : items) out.push_back(boost::json::string(item));
  return out;
}

boost::json::object binding_json(const dns::BindingView& view) {
  return {{"dns", view.settings}, {"warnings", strings(view.warnings)}};
}

std::string pool_param(const PathParams& params) {
  return unwrap(fleet::parse_pool_name(path_param(params, "pool")));
}

}  // namespace

void add_failover_routes(http::Router& router, const AdminApi& api) {
  // Binds after a real read of the record, then publishes the active's address unless "publish": false.
  router.add(Method::put, "/api/v1/pools/{pool}/dns", [api](const Request& request, const PathParams& params) {
    const auto actor = require_admin(api.tokens, request);
    const auto body = body_object(request);
    json::FieldReader reader(body);
    const bool publish = reader.optional_bool("publish").value_or(true);
    if (!reader.ok()) throw http::ApiError(reader.error());
    const auto name = pool_param(params);
    const auto view = unwrap(api.dns.set(name, body, actor));
    const auto plan = unwrap(api.failover.after_binding(unwrap(api.dns.pool_id(name)), view.answers, publish, actor));
    auto out = binding_json(view);
    out["answers_now"] = strings(view.answers);
    out["publish"] = plan.summary;
    return reply(200, out);
  });

  router.add(Method::get, "/api/v1/pools/{pool}/dns", [api](const Request& request, const PathParams& params) {
    require_admin(api.tokens, request);
    return reply(200, binding_json(unwrap(api.dns.get(pool_param(params)))));
  });

  router.add(Method::del, "/api/v1/pools/{pool}/dns", [api](const Request& request, const PathParams& params) {
    const auto actor = require_admin(api.tokens, request);
    unwrap(api.dns.remove(pool_param(params), actor));
    return reply(200, {{"removed", true}});
  });

  router.add(Method::get, "/api/v1/pools/{pool}/dns/check", [api](const Request& request, const PathParams& params) {
    require_admin(api.tokens, request);
    const auto name = pool_param(params);
    const auto report = unwrap(api.dns.check(name));
    const auto pool = unwrap(api.fleet.get_pool(name));
    api.failover.record_observed(pool.record.id, report.addresses);  // a read-back like any other
    const auto status = api.failover.status(pool.record.id);
    const std::string expected = status ? status->expected_ipv4 : "";
    return reply(200, {{"hostname", pool.record.hostname},
                       {"addresses", strings(report.addresses)},
                       {"serial", report.serial ? boost::json::value(*report.serial) : boost::json::value(nullptr)},
                       {"active_member", pool.active_hostname},
                       {"active_ipv4", expected},
                       {"matches_active", !expected.empty() && report.addresses == std::vector<std::string>{expected}},
                       {"dns_repair", pool.record.dns_repair}});
  });

  router.add(Method::post, "/api/v1/pools/{pool}/failover", [api](const Request& request, const PathParams& params) {
    const auto actor = require_admin(api.tokens, request);
    const auto body = body_object(request);
    json::FieldReader reader(body);
    const auto target = reader.required_string("to", 253);
    const auto flags = read_flags(reader);
    if (!reader.ok()) throw http::ApiError(reader.error());
    const auto host = unwrap(fleet::parse_member_hostname(target));
    const auto plan = unwrap(api.failover.failover(pool_param(params), host, flags.force, flags.dry_run, actor));
    return reply(flags.dry_run ? 200 : 202, plan_json(plan, flags.dry_run));
  });

  // A switch that keeps failing: stop it, or start its next attempt now instead of after the backoff.
  router.add(Method::post, "/api/v1/pools/{pool}/failover/cancel", [api](const Request& request, const PathParams& params) {
    const auto actor = require_admin(api.tokens, request);
    return reply(200, plan_json(unwrap(api.failover.cancel_switch(pool_param(params), actor)), false));
  });

  router.add(Method::post, "/api/v1/pools/{pool}/failover/retry", [api](const Request& request, const PathParams& params) {
    const auto actor = require_admin(api.tokens, request);
    return reply(202, plan_json(unwrap(api.failover.retry_switch(pool_param(params), actor)), false));
  });

  router.add(Method::post, "/api/v1/pools/{pool}/members/{host}/maintenance",
             [api](const Request& request, const PathParams& params) {
               const auto actor = require_admin(api.tokens, request);
               const auto body = body_object(request);
               json::FieldReader reader(body);
               const auto on = reader.optional_bool("on");
               const auto flags = read_flags(reader);
               if (reader.ok() && !on) reader.fail("on", "field 'on' is required: true or false");
               if (!reader.ok()) throw http::ApiError(reader.error());
               const auto host = unwrap(fleet::parse_member_hostname(path_param(params, "host")));
               const auto plan =
                   unwrap(api.failover.maintenance(pool_param(params), host, *on, flags.force, flags.dry_run, actor));
               return reply(flags.dry_run ? 200 : 202, plan_json(plan, flags.dry_run));
             });
}

}  // namespace balctl::api
