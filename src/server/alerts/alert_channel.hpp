// Where alerts go: a webhook (JSON or Slack-compatible body, optionally HMAC-signed) or email over SMTP
// with STARTTLS. Parsed and validated in one place; secrets kept apart for sealing, like DNS bindings.
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <variant>
#include <vector>

#include "common/result.hpp"

namespace balctl::alerts {

struct WebhookChannel {
  std::string url;
  std::string format = "json";  // json | slack
  std::string secret;           // HMAC-SHA256 key for X-Balctl-Signature; empty: unsigned
};

struct EmailChannel {
  std::string smtp_url;  // smtp://host:port (STARTTLS) or smtps://host:port
  std::string from;
  std::vector<std::string> to;
  std::string username;
  std::string password;  // secret
  bool starttls = true;  // require STARTTLS on smtp://
  std::string ca_cert;   // trust this CA for the SMTP server (default: system CAs)
};

struct AlertChannel {
  std::string name;
  std::variant<WebhookChannel, EmailChannel> target;
};

std::string channel_kind(const AlertChannel& channel);

// {"name", "kind": "webhook"|"email", ...}; errors name the field.
Result<AlertChannel> parse_alert_channel(const boost::json::object& body);
boost::json::object channel_settings(const AlertChannel& channel);
boost::json::object channel_secrets(const AlertChannel& channel);
Result<AlertChannel> join_channel(const std::string& name, const std::string& kind,
                                  const boost::json::object& settings, const boost::json::object& secrets);
boost::json::object masked_channel_json(const AlertChannel& channel);

}  // namespace balctl::alerts
