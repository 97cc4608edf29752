#include "common/http_client.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <curl/curl.h>

#include <algorithm>
#include <mutex>
#include <utility>

namespace balctl {

std::string percent_encode(std::string_view text) { return boost::urls::encode(text, boost::urls::unreserved_chars); }

namespace {

std::once_flag curl_init_once;

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

int check_abort(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* abort = static_cast<const std::atomic<bool>*>(user);
  return abort->load() ? 1 : 0;
}

bool is_tls_failure(CURLcode code) {
  return code == CURLE_SSL_CONNECT_ERROR || code == CURLE_PEER_FAILED_VERIFICATION ||
         code == CURLE_SSL_CACERT_BADFILE || code == CURLE_SSL_PINNEDPUBKEYNOTMATCH ||
         code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_ISSUER_ERROR;
}

}  // namespace

struct HttpClient::Impl {
  HttpClientOptions options;
  CURL* curl = nullptr;
  bool fresh_connection = false;
  char error[CURL_ERROR_SIZE] = {};
};

HttpClient::HttpClient(HttpClientOptions options) : impl_(std::make_unique<Impl>()) {
  std::call_once(curl_init_once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  impl_->options = std::move(options);
  impl_->curl = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (impl_->curl != nullptr) curl_easy_cleanup(impl_->curl);
}

void HttpClient::set_timeouts(std::chrono::milliseconds connect_timeout, std::chrono::milliseconds timeout) {
  impl_->options.connect_timeout = connect_timeout;
  impl_->options.timeout = timeout;
}

void HttpClient::use_fresh_connection() { impl_->fresh_connection = true; }

Result<HttpReply> HttpClient::request(std::string_view method, const std::string& url, std::string_view body,
                                      std::string_view bearer_token) {
  std::vector<std::string> headers;
  if (!bearer_token.empty()) headers.push_back("Authorization: Bearer " + std::string(bearer_token));
  return request_with_headers(method, url, body, headers);
}

Result<HttpReply> HttpClient::request_with_headers(std::string_view method, const std::string& url,
                                                   std::string_view body, const std::vector<std::string>& extra,
                                                   std::string_view content_type) {
  CURL* curl = impl_->curl;
  if (curl == nullptr) return Error::internal("libcurl failed to initialise");
  const auto& o = impl_->options;
  curl_easy_reset(curl);
  HttpReply reply;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, impl_->error);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(o.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(o.timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  if (std::exchange(impl_->fresh_connection, false)) curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
  if (!o.ca_cert.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, o.ca_cert.c_str());
  if (!o.pinned_key.empty()) curl_easy_setopt(curl, CURLOPT_PINNEDPUBLICKEY, o.pinned_key.c_str());
  if (o.insecure || !o.pinned_key.empty()) {
    // With a pinned key the key itself is the trust anchor; the certificate chain is not checked.
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  const std::string interface = "host!" + o.bind_address;
  if (!o.bind_address.empty()) curl_easy_setopt(curl, CURLOPT_INTERFACE, interface.c_str());
  if (o.abort != nullptr) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, check_abort);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(o.abort));
  }

  const std::string method_text(method);
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_text.c_str());
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  // Never wait for a "100 Continue" our server (or a provider) may not send.
  headers = curl_slist_append(headers, "Expect:");
  for (const auto& line : extra) headers = curl_slist_append(headers, line.c_str());
  const std::string content_type_line = "Content-Type: " + std::string(content_type);
  if (method_text != "GET" && (method_text != "DELETE" || !body.empty())) {
    headers = curl_slist_append(headers, content_type_line.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  impl_->error[0] = '\0';
  const CURLcode code = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    const std::string reason = impl_->error[0] != '\0' ? impl_->error : curl_easy_strerror(code);
    if (code == CURLE_ABORTED_BY_CALLBACK) return Error{Errc::unavailable, "aborted", "request aborted", {}};
    if (is_tls_failure(code)) return Error{Errc::unavailable, "tls_error", reason, {}};
    if (code == CURLE_OPERATION_TIMEDOUT) return Error{Errc::unavailable, "timeout", reason, {}};
    return Error{Errc::unavailable, "unreachable", reason, {}};
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_off_t retry_after = 0;
  if (curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after) == CURLE_OK && retry_after > 0) {
    reply.retry_after_s = static_cast<long>(std::min<curl_off_t>(retry_after, 86'400 * 365));
  }
  return reply;
}

}  // namespace balctl
