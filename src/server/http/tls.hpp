// TLS material for `balctl serve`: a self-signed certificate generated on first start (key 0600), the
// server context, and the public-key pin agents use to trust a self-signed control plane.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace boost::asio::ssl {
class context;
}

namespace balctl::http {

// Creates cert_file and key_file when either is missing. The certificate is its own CA (so curl and
// agents can pin it with --cacert / BALCTL_CA_CERT) and names localhost, 127.0.0.1, ::1 and `names`.
Status ensure_self_signed(const std::filesystem::path& cert_file, const std::filesystem::path& key_file,
                          const std::vector<std::string>& names);

Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(const std::filesystem::path& cert_file,
                                                                       const std::filesystem::path& key_file);

// "sha256//BASE64" of the certificate's SubjectPublicKeyInfo, the form curl's --pinnedpubkey takes.
Result<std::string> public_key_pin(const std::filesystem::path& cert_file);

}  // namespace balctl::http
