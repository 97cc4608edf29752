// Delivering one alert to one channel. Webhooks: POST of JSON ({kind, pool, member, message, at}) or a
// Slack-compatible {"text": ...}; with a secret, X-Balctl-Signature: sha256=HEX(HMAC-SHA256(secret,
// timestamp + "." + body)) and X-Balctl-Timestamp, so receivers can reject forged or replayed alerts.
// Email: SMTP via libcurl, STARTTLS required on smtp:// unless the channel turns it off.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.hpp"
#include "server/alerts/alert_channel.hpp"

namespace balctl::alerts {

struct Alert {
  std::string kind;
  std::string pool;
  std::string member;
  std::string message;
  std::int64_t at_ms = 0;
  int suppressed = 0;  // similar alerts dropped by rate limiting since the last one sent
};

Status send_webhook(const WebhookChannel& channel, const Alert& alert);
Status send_email(const EmailChannel& channel, const Alert& alert);
Status send(const AlertChannel& channel, const Alert& alert);

// The body a webhook receives and its signature (exposed for tests).
std::string webhook_body(const WebhookChannel& channel, const Alert& alert);
std::string webhook_signature(const std::string& secret, std::int64_t timestamp, const std::string& body);

}  // namespace balctl::alerts
