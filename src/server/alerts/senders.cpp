#include "server/alerts/senders.hpp"

#include <boost/json/serialize.hpp>
#include <curl/curl.h>
#include <sodium.h>

#include <cstring>

#include "common/crypto.hpp"
#include "common/http_client.hpp"
#include "common/time.hpp"

namespace balctl::alerts {
namespace {

constexpr long kTimeoutMs = 10'000;

std::string summary(const Alert& alert) {
  std::string text = "[balctl] " + alert.kind;
  if (!alert.pool.empty()) text += " in pool " + alert.pool;
  if (!alert.member.empty()) text += " (" + alert.member + ")";
  text += ": " + alert.message;
  if (alert.suppressed > 0) text += " [" + std::to_string(alert.suppressed) + " similar alerts suppressed]";
  return text;
}

struct Upload {
  std::string data;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t n = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, n);
  upload->offset += n;
  return n;
}

std::string email_text(const EmailChannel& channel, const Alert& alert) {
  std::string to;
  for (const auto& address : channel.to) to += (to.empty() ? "" : ", ") + address;
  std::string subject = summary(alert);
  if (subject.size() > 150) subject = subject.substr(0, 147) + "...";
  for (auto& c : subject) {
    if (c == '\r' || c == '\n') c = ' ';
  }
  return "From: " + channel.from + "\r\nTo: " + to + "\r\nSubject: " + subject +
         "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + summary(alert) + "\r\n\r\nat " +
         time::rfc3339(alert.at_ms) + "\r\n";
}

}  // namespace

std::string webhook_body(const WebhookChannel& channel, const Alert& alert) {
  if (channel.format == "slack") return boost::json::serialize(boost::json::object{{"text", summary(alert)}});
  return boost::json::serialize(boost::json::object{{"kind", alert.kind},
                                                    {"pool", alert.pool},
                                                    {"member", alert.member},
                                                    {"message", alert.message},
                                                    {"at", time::rfc3339(alert.at_ms)},
                                                    {"suppressed", alert.suppressed},
                                                    {"source", "balctl"}});
}

std::string webhook_signature(const std::string& secret, std::int64_t timestamp, const std::string& body) {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  const std::string signed_text = std::to_string(timestamp) + "." + body;
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size());
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  return "sha256=" + crypto::hex(mac);
}

Status send_webhook(const WebhookChannel& channel, const Alert& alert) {
  HttpClientOptions options;
  options.timeout = std::chrono::milliseconds(kTimeoutMs);
  HttpClient http(options);
  const std::string body = webhook_body(channel, alert);
  std::vector<std::string> headers{"User-Agent: balctl-alerts"};
  if (!channel.secret.empty()) {
    const auto timestamp = time::unix_ms_now() / 1000;
    headers.push_back("X-Balctl-Timestamp: " + std::to_string(timestamp));
    headers.push_back("X-Balctl-Signature: " + webhook_signature(channel.secret, timestamp, body));
  }
  auto reply = http.request_with_headers("POST", channel.url, body, headers);
  if (!reply) return Error{Errc::unavailable, "alert_unreachable", reply.error().message, {}};
  if (reply->status < 200 || reply->status >= 300) {
    return Error{Errc::unavailable, "alert_refused", "webhook answered HTTP " + std::to_string(reply->status), {}};
  }
  return {};
}

Status send_email(const EmailChannel& channel, const Alert& alert) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Error::internal("libcurl failed to initialise");
  Upload upload{email_text(channel, alert), 0};
  curl_slist* recipients = nullptr;
  for (const auto& address : channel.to) recipients = curl_slist_append(recipients, ("<" + address + ">").c_str());
  const std::string from = "<" + channel.from + ">";
  char error[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl, CURLOPT_URL, channel.smtp_url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, kTimeoutMs);
  curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
  curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
  curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(curl, CURLOPT_USE_SSL, channel.starttls ? CURLUSESSL_ALL : CURLUSESSL_NONE);
  if (!channel.ca_cert.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, channel.ca_cert.c_str());
  if (!channel.username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, channel.username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, channel.password.c_str());
  }
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(recipients);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) {
    return Error{Errc::unavailable, "alert_unreachable",
                 "SMTP " + channel.smtp_url + ": " + (error[0] != '\0' ? error : curl_easy_strerror(code)), {}};
  }
  return {};
}

Status send(const AlertChannel& channel, const Alert& alert) {
  if (const auto* webhook = std::get_if<WebhookChannel>(&channel.target)) return send_webhook(*webhook, alert);
  return send_email(std::get<EmailChannel>(channel.target), alert);
}

}  // namespace balctl::alerts
