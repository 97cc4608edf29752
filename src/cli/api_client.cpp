#include "cli/api_client.hpp"

#include <CLI/CLI.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/files.hpp"

namespace balctl::cli {

void add_client_options(CLI::App& app, ClientOptions& o) {
  app.add_option("--api", o.api, "Control plane URL")->envname("BALCTL_API")->default_str(kDefaultApi);
  app.add_option("--token", o.token, "Admin API token")->envname("BALCTL_TOKEN");
  app.add_option("--token-file", o.token_file, "File holding the admin API token (e.g. DATA_DIR/admin.token)")
      ->envname("BALCTL_TOKEN_FILE");
  app.add_option("--ca-cert", o.ca_cert, "CA or self-signed server certificate to trust (e.g. DATA_DIR/tls.crt)")
      ->envname("BALCTL_CA_CERT");
  app.add_flag("--insecure", o.insecure, "Do not verify the server certificate");
  app.add_flag("--json", o.json, "Print machine-readable JSON");
}

ApiClient::ApiClient(const ClientOptions& options) : options_(options) {
  HttpClientOptions http;
  http.ca_cert = options.ca_cert;
  http.insecure = options.insecure;
  http_ = std::make_unique<HttpClient>(http);
}

Result<std::string> ApiClient::token() {
  std::string value = options_.token;
  if (value.empty() && !options_.token_file.empty()) {
    auto text = files::read(options_.token_file, 4096);
    if (!text) return Error{Errc::invalid_argument, "usage", "cannot read --token-file: " + text.error().message, {}};
    value = *text;
  }
  while (!value.empty() && (value.back() == '\n' || value.back() == '\r' || value.back() == ' ')) value.pop_back();
  if (value.empty()) {
    return Error{Errc::invalid_argument, "usage",
                 "no API token: pass --token or --token-file, or set BALCTL_TOKEN (see DATA_DIR/admin.token)", {}};
  }
  return value;
}

Result<boost::json::object> ApiClient::call(std::string_view method, const std::string& path,
                                            const std::optional<boost::json::object>& body) {
  auto bearer = token();
  if (!bearer) return bearer.error();
  std::string base = options_.api.empty() ? kDefaultApi : options_.api;
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string payload = body ? boost::json::serialize(*body) : std::string();
  auto reply = http_->request(method, base + path, payload, *bearer);
  if (!reply) {
    std::string message = "cannot reach " + base + ": " + reply.error().message;
    if (reply.error().code == "tls_error") message += " (pass --ca-cert DATA_DIR/tls.crt, or --insecure)";
    return Error{Errc::unavailable, reply.error().code, message, {}};
  }
  boost::system::error_code ec;
  auto parsed = boost::json::parse(reply->body, ec);
  if (reply->status >= 400) {
    if (!ec && parsed.is_object() && parsed.as_object().contains("error") && parsed.at("error").is_object()) {
      const auto& error = parsed.at("error").as_object();
      const auto text = [&](const char* key) {
        const auto* value = error.if_contains(key);
        return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
      };
      return Error{Errc::internal, text("code"), text("message"), text("field")};
    }
    return Error{Errc::internal, "http_" + std::to_string(reply->status),
                 "server answered HTTP " + std::to_string(reply->status), {}};
  }
  if (ec || !parsed.is_object()) return Error::internal("server sent a reply that is not a JSON object");
  return std::move(parsed.as_object());
}


}  // namespace balctl::cli
