#include "server/alerts/alert_channel.hpp"

#include <boost/url/parse.hpp>

#include "common/json.hpp"
#include "common/validate.hpp"

namespace balctl::alerts {
namespace {

bool plausible_address(std::string_view address) {
  const auto at = address.find('@');
  return at != std::string_view::npos && at > 0 && address.find('@', at + 1) == std::string_view::npos &&
         validate::hostname(address.substr(at + 1)).has_value() &&
         address.find_first_of(" \t\r\n<>,;") == std::string_view::npos;
}

Result<AlertChannel> parse_webhook(json::FieldReader& r, AlertChannel channel) {
  WebhookChannel webhook;
  webhook.url = r.required_string("url", 2048);
  if (r.ok()) {
    auto url = boost::urls::parse_absolute_uri(webhook.url);
    if (!url || (url->scheme() != "https" && url->scheme() != "http") || url->host().empty()) {
      r.fail("url", "field 'url' must be an http(s) URL");
    }
  }
  webhook.format = r.optional_string("format", 16).value_or("json");
  if (r.ok() && webhook.format != "json" && webhook.format != "slack") {
    r.fail("format", "field 'format' must be json or slack");
  }
  webhook.secret = r.optional_string("secret", 512).value_or("");
  if (!r.ok()) return r.error();
  channel.target = std::move(webhook);
  return channel;
}

Result<AlertChannel> parse_email(json::FieldReader& r, AlertChannel channel) {
  EmailChannel email;
  email.smtp_url = r.required_string("smtp_url", 512);
  if (r.ok()) {
    auto url = boost::urls::parse_absolute_uri(email.smtp_url);
    if (!url || (url->scheme() != "smtp" && url->scheme() != "smtps") || url->host().empty()) {
      r.fail("smtp_url", "field 'smtp_url' must look like smtp://mail.example.com:587 or smtps://...:465");
    }
  }
  email.from = r.required_string("from", 254);
  if (r.ok() && !plausible_address(email.from)) r.fail("from", "field 'from' must be an email address");
  if (const auto* to = r.optional_array("to", 20); to != nullptr) {
    for (const auto& address : *to) {
      if (!address.is_string() || !plausible_address(address.as_string())) {
        r.fail("to", "field 'to' must be a list of email addresses");
        break;
      }
      email.to.emplace_back(address.as_string());
    }
  }
  if (r.ok() && email.to.empty()) r.fail("to", "field 'to' needs at least one email address");
  email.username = r.optional_string("username", 254).value_or("");
  email.password = r.optional_string("password", 512).value_or("");
  email.starttls = r.optional_bool("starttls").value_or(true);
  email.ca_cert = r.optional_string("ca_cert", 4096).value_or("");
  if (!r.ok()) return r.error();
  channel.target = std::move(email);
  return channel;
}

}  // namespace

std::string channel_kind(const AlertChannel& channel) {
  return std::holds_alternative<WebhookChannel>(channel.target) ? "webhook" : "email";
}

Result<AlertChannel> parse_alert_channel(const boost::json::object& body) {
  json::FieldReader r(body);
  AlertChannel channel;
  const auto name = r.required_string("name", 63);
  const auto kind = r.required_string("kind", 16);
  if (!r.ok()) return r.error();
  if (auto valid = validate::object_name(name)) {
    channel.name = *valid;
  } else {
    return Error::invalid("name", "field 'name' must be 1-63 characters of a-z, 0-9, '-' or '_'");
  }
  if (kind == "webhook") return parse_webhook(r, std::move(channel));
  if (kind == "email") return parse_email(r, std::move(channel));
  return Error::invalid("kind", "field 'kind' must be webhook or email");
}

boost::json::object channel_settings(const AlertChannel& channel) {
  if (const auto* w = std::get_if<WebhookChannel>(&channel.target)) {
    return {{"url", w->url}, {"format", w->format}};
  }
  const auto& e = std::get<EmailChannel>(channel.target);
  boost::json::array to;
  for (const auto& address : e.to) to.push_back(boost::json::string(address));
  return {{"smtp_url", e.smtp_url}, {"from", e.from}, {"to", std::move(to)}, {"username", e.username},
          {"starttls", e.starttls}, {"ca_cert", e.ca_cert}};
}

boost::json::object channel_secrets(const AlertChannel& channel) {
  if (const auto* w = std::get_if<WebhookChannel>(&channel.target)) return {{"secret", w->secret}};
  return {{"password", std::get<EmailChannel>(channel.target).password}};
}

Result<AlertChannel> join_channel(const std::string& name, const std::string& kind,
                                  const boost::json::object& settings, const boost::json::object& secrets) {
  boost::json::object merged = settings;
  for (const auto& [key, value] : secrets) merged[key] = value;
  merged["name"] = name;
  merged["kind"] = kind;
  return parse_alert_channel(merged);
}

boost::json::object masked_channel_json(const AlertChannel& channel) {
  auto out = channel_settings(channel);
  for (const auto& [key, value] : channel_secrets(channel)) {
    out[key] = value.as_string().empty() ? boost::json::value("") : boost::json::value("***");
  }
  out["name"] = channel.name;
  out["kind"] = channel_kind(channel);
  return out;
}

}  // namespace balctl::alerts
