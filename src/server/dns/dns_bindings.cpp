#include "server/dns/dns_bindings.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/json.hpp"
#include "common/time.hpp"
#include "server/dns/rfc2136_provider.hpp"

namespace balctl::dns {
namespace {

// The zone a provider manages, when it names one.
std::optional<std::string> zone_of(const ProviderConfig& config) {
  if (const auto* c = std::get_if<Rfc2136Config>(&config)) return c->zone;
  if (const auto* c = std::get_if<PowerDnsConfig>(&config)) return c->zone;
  if (const auto* c = std::get_if<CpanelConfig>(&config)) return c->zone;
  return std::nullopt;
}

// A failed check of a new binding is the operator's to fix (token, zone, server): a 400 whatever the
// provider's own error kind, so it is never mistaken for the admin API refusing the caller's token.
Error binding_check_failed(const store::PoolRecord& pool, const Error& error) {
  const bool transient = error.kind == Errc::unavailable && error.code != "dns_auth";
  return Error{transient ? Errc::unavailable : Errc::invalid_argument, error.code,
               "not bound: reading " + pool.hostname + " through the provider failed: " + error.message +
                   (transient ? " (try again when the provider answers)" : ""),
               {}};
}

}  // namespace

DnsBindings::DnsBindings(store::Store& store, const auth::SecretBox& secrets, events::EventLog& events)
    : store_(store), secrets_(secrets), events_(events) {}

std::vector<std::string> DnsBindings::warnings(const store::PoolRecord& pool) const {
  std::vector<std::string> out;
  if (pool.ttl_s > pool.delay_s) {
    out.push_back("the record's TTL (" + std::to_string(pool.ttl_s) + " s) is longer than the failover delay (" +
                  std::to_string(pool.delay_s) + " s): resolvers may keep the old address that long after a "
                  "failover; lower it with 'balctl pool set " + pool.name + " --ttl'");
  }
  return out;
}

Result<BindingView> DnsBindings::set(std::string_view pool_name, const boost::json::object& body,
                                     std::string_view actor) {
  auto pool = store_.find_pool(pool_name);
  if (!pool) return pool.error();
  auto config = parse_provider_config(body);
  if (!config) return config.error();
  if (const auto zone = zone_of(*config); zone && !in_zone(pool->hostname, *zone)) {
    return Error::invalid("zone", "the pool's hostname " + pool->hostname + " is not inside zone " + *zone);
  }
  // A wrong token, zone or server is an error now, not at the first failover.
  auto answers = make_provider(*config)->check_binding(pool->hostname);
  if (!answers) return binding_check_failed(*pool, answers.error());
  store::DnsBindingRecord record;
  record.pool_id = pool->id;
  record.provider = provider_kind(*config);
  record.settings_json = boost::json::serialize(public_settings(*config));
  record.secrets_box = secrets_.seal(boost::json::serialize(secret_settings(*config)));
  record.updated_ms = time::unix_ms_now();
  if (auto status = store_.put_dns_binding(record); !status) return status.error();
  BindingView view{masked_json(*config), warnings(*pool), std::move(*answers)};
  std::string message = "DNS provider " + record.provider + " bound to " + pool->hostname;
  for (const auto& warning : view.warnings) message += "; warning: " + warning;
  (void)events_.record({0, 0, "dns_binding_set", pool->name, "", std::string(actor), message});
  if (changed_) changed_(pool->id);
  return view;
}

Result<std::optional<ProviderConfig>> DnsBindings::load(std::int64_t pool_id) {
  auto record = store_.get_dns_binding(pool_id);
  if (!record) return record.error();
  if (!*record) return std::optional<ProviderConfig>{};
  auto secrets_text = secrets_.unseal((*record)->secrets_box);
  if (!secrets_text) return secrets_text.error();
  auto settings = json::parse_object((*record)->settings_json);
  auto secrets = json::parse_object(*secrets_text);
  if (!settings || !secrets) return Error::internal("stored DNS binding is damaged");
  auto config = join_settings((*record)->provider, *settings, *secrets);
  if (!config) return Error::internal("stored DNS binding no longer validates: " + config.error().message);
  return std::optional<ProviderConfig>(std::move(*config));
}

Result<std::vector<std::string>> DnsBindings::read_record(std::int64_t pool_id, const std::string& fqdn) {
  auto config = load(pool_id);
  if (!config) return config.error();
  if (!*config) return Error::not_found("dns_not_configured", "the pool has no DNS provider");
  return make_provider(**config)->get_a_records(fqdn);
}

Result<std::int64_t> DnsBindings::pool_id(std::string_view pool_name) {
  auto pool = store_.find_pool(pool_name);
  if (!pool) return pool.error();
  return pool->id;
}

Result<DnsBindings::Configured> DnsBindings::configured(std::string_view pool_name) {
  auto pool = store_.find_pool(pool_name);
  if (!pool) return pool.error();
  auto config = load(pool->id);
  if (!config) return config.error();
  if (!*config) {
    return Error::not_found("dns_not_configured", "pool '" + pool->name + "' has no DNS provider; see 'balctl dns set'");
  }
  return Configured{std::move(*pool), std::move(**config)};
}

Result<BindingView> DnsBindings::get(std::string_view pool_name) {
  auto binding = configured(pool_name);
  if (!binding) return binding.error();
  return BindingView{masked_json(binding->config), warnings(binding->pool)};
}

Status DnsBindings::remove(std::string_view pool_name, std::string_view actor) {
  auto pool = store_.find_pool(pool_name);
  if (!pool) return pool.error();
  if (auto status = store_.delete_dns_binding(pool->id); !status) return status;
  (void)events_.record({0, 0, "dns_binding_removed", pool->name, "", std::string(actor),
                        "DNS provider removed; failover now only changes roles"});
  if (changed_) changed_(pool->id);
  return {};
}

Result<CheckReport> DnsBindings::check(std::string_view pool_name) {
  auto binding = configured(pool_name);
  if (!binding) return binding.error();
  auto provider = make_provider(binding->config);
  CheckReport report;
  auto addresses = provider->get_a_records(binding->pool.hostname);
  if (!addresses) return addresses.error();
  report.addresses = std::move(*addresses);
  if (auto serial = provider->soa_serial(); serial) report.serial = *serial;
  return report;
}

}  // namespace balctl::dns
