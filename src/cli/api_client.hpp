// How CLI verbs talk to a running control plane: global options (--api, --token, TLS), token lookup,
// and a call() that returns the JSON body or one clear error.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/http_client.hpp"
#include "common/result.hpp"

namespace CLI {
class App;
}

namespace balctl::cli {

inline constexpr const char* kDefaultApi = "https://127.0.0.1:8443";

struct ClientOptions {
  std::string api;
  std::string token;
  std::string token_file;
  std::string ca_cert;
  bool insecure = false;
  bool json = false;
};

// Registers --api, --token, --token-file, --ca-cert, --insecure, --json with their environment
// fallbacks (BALCTL_API, BALCTL_TOKEN, BALCTL_TOKEN_FILE, BALCTL_CA_CERT).
void add_client_options(CLI::App& app, ClientOptions& options);

class ApiClient {
 public:
  explicit ApiClient(const ClientOptions& options);

  // Errors: "usage" (no token configured), "unreachable"/"tls_error" (transport), or the server's own
  // {error: {code, message}} for a 4xx/5xx reply.
  Result<boost::json::object> call(std::string_view method, const std::string& path,
                                   const std::optional<boost::json::object>& body = std::nullopt);

 private:
  Result<std::string> token();

  const ClientOptions& options_;
  std::unique_ptr<HttpClient> http_;
};

}  // namespace balctl::cli
