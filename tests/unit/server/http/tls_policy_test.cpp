// The server's TLS policy (issue 13 item 13): TLS >= 1.2, ECDHE + AEAD only in TLS 1.2, the TLS 1.3 suites.
#include <set>
#include <string>

#include <boost/asio/ssl/context.hpp>
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "server/http/tls.hpp"
#include "unit/support/temp_dir.hpp"

namespace balctl::http {
namespace {

std::set<std::string> offered_ciphers(SSL_CTX* context) {
  SSL* ssl = SSL_new(context);
  std::set<std::string> names;
  const STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i)
    names.insert(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(ciphers, i)));
  SSL_free(ssl);
  return names;
}

TEST(TlsPolicy, OnlyEcdheAeadInTls12AndTheTls13Suites) {
  testing::TempDir dir;
  const auto cert = dir.path() / "tls.crt";
  const auto key = dir.path() / "tls.key";
  ASSERT_TRUE(ensure_self_signed(cert, key, {}).ok());
  auto context = make_server_context(cert, key);
  ASSERT_TRUE(context.ok());
  SSL_CTX* native = (*context)->native_handle();
  EXPECT_EQ(SSL_CTX_get_min_proto_version(native), TLS1_2_VERSION);
  const auto names = offered_ciphers(native);
  for (const char* wanted :
       {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-CHACHA20-POLY1305",
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
    EXPECT_EQ(names.count(wanted), 1u) << wanted;
  }
  for (const char* refused : {"AES128-SHA", "AES256-SHA256", "AES128-GCM-SHA256", "ECDHE-RSA-AES128-SHA",
                              "ECDHE-ECDSA-AES256-SHA384", "DHE-RSA-AES128-GCM-SHA256"}) {
    EXPECT_EQ(names.count(refused), 0u) << refused;
  }
  for (const auto& name : names) {
    EXPECT_TRUE(name.rfind("TLS_", 0) == 0 || name.rfind("ECDHE-", 0) == 0) << name;
    EXPECT_TRUE(name.find("GCM") != std::string::npos || name.find("CHACHA20") != std::string::npos) << name;
  }
}

}  // namespace
}  // namespace balctl::http
