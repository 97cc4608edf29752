#include "server/http/tls.hpp"

#include <boost/asio/ssl/context.hpp>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <memory>

#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/validate.hpp"

namespace balctl::http {
namespace {

constexpr long kValiditySeconds = 10L * 365 * 24 * 3600;

// Mozilla's "intermediate" configuration (v5.7) without its DHE suites: TLS 1.2 only with ECDHE key
// exchange and AEAD ciphers (no CBC, no SHA-1 MACs, no RSA key exchange, which has no forward secrecy),
// and the three TLS 1.3 suites. Every TLS client of the last decade (curl, OpenSSL 1.0.2+, Python,
// browsers) has one of these; the agent uses OpenSSL 3 and negotiates TLS 1.3.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;

Error tls_error(const std::string& what) { return Error{Errc::internal, "tls_error", what, {}}; }

bool add_extension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

std::string subject_alt_names(const std::vector<std::string>& names) {
  std::string san = "DNS:localhost,IP:127.0.0.1,IP:::1";
  for (const auto& name : names) {
    if (name.empty() || name == "localhost" || name == "127.0.0.1" || name == "::1") continue;
    if (validate::ip_address(name)) {
      san += ",IP:" + name;
    } else if (validate::hostname(name)) {
      san += ",DNS:" + name;
    }
  }
  return san;
}

std::string pem_of(BIO* bio) {
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(length));
}

Result<X509Ptr> build_certificate(EVP_PKEY* key, const std::vector<std::string>& names) {
  X509Ptr cert(X509_new());
  unsigned char serial_bytes[16];
  if (!cert || RAND_bytes(serial_bytes, sizeof serial_bytes) != 1) return tls_error("cannot allocate certificate");
  serial_bytes[0] &= 0x7f;  // serial numbers must be positive
  BIGNUM* serial = BN_bin2bn(serial_bytes, sizeof serial_bytes, nullptr);
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
  BN_free(serial);
  X509_set_version(cert.get(), 2);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), kValiditySeconds);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("balctl"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("balctl control plane"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  const bool extensions_ok = add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE") &&
                             add_extension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign") &&
                             add_extension(cert.get(), NID_ext_key_usage, "serverAuth") &&
                             add_extension(cert.get(), NID_subject_key_identifier, "hash") &&
                             add_extension(cert.get(), NID_authority_key_identifier, "keyid:always") &&
                             add_extension(cert.get(), NID_subject_alt_name, subject_alt_names(names));
  if (!extensions_ok) return tls_error("cannot add certificate extensions");
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0) return tls_error("cannot sign certificate");
  return cert;
}

}  // namespace

Status ensure_self_signed(const std::filesystem::path& cert_file, const std::filesystem::path& key_file,
                          const std::vector<std::string>& names) {
  if (std::filesystem::exists(cert_file) && std::filesystem::exists(key_file)) return {};
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return tls_error("cannot generate an EC P-256 key");
  auto cert = build_certificate(key.get(), names);
  if (!cert) return cert.error();
  BioPtr key_pem(BIO_new(BIO_s_mem()));
  BioPtr cert_pem(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_PrivateKey(key_pem.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1 ||
      PEM_write_bio_X509(cert_pem.get(), cert->get()) != 1) {
    return tls_error("cannot encode certificate");
  }
  if (auto status = files::write_atomic(key_file, pem_of(key_pem.get()), 0600); !status) return status;
  return files::write_atomic(cert_file, pem_of(cert_pem.get()), 0644);
}

Result<std::shared_ptr<boost::asio::ssl::context>> make_server_context(const std::filesystem::path& cert_file,
                                                                       const std::filesystem::path& key_file) {
  auto context = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
  context->set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
                       boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
                       boost::asio::ssl::context::no_tlsv1_1 | boost::asio::ssl::context::single_dh_use);
  SSL_CTX* native = context->native_handle();
  if (SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(native, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(native, kTls13Suites) != 1 || SSL_CTX_set1_groups_list(native, kGroups) != 1) {
    return tls_error("cannot set the TLS cipher policy");
  }
  // Renegotiation is a denial-of-service lever and nothing here needs it.
  SSL_CTX_set_options(native, SSL_OP_NO_RENEGOTIATION);
  // Idle keep-alive connections (one per agent) give their read/write buffers back to the allocator.
  SSL_CTX_set_mode(context->native_handle(), SSL_MODE_RELEASE_BUFFERS);
  // An agent that drops its connection without close_notify is ordinary: treat it as end of stream.
  SSL_CTX_set_options(context->native_handle(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Read whatever the socket holds in one read(2) instead of a record header and then its body.
  SSL_CTX_set_read_ahead(context->native_handle(), 1);
  boost::system::error_code ec;
  context->use_certificate_chain_file(cert_file.string(), ec);
  if (ec) return tls_error("cannot load certificate " + cert_file.string() + ": " + ec.message());
  context->use_private_key_file(key_file.string(), boost::asio::ssl::context::pem, ec);
  if (ec) return tls_error("cannot load private key " + key_file.string() + ": " + ec.message());
  return context;
}

Result<std::string> public_key_pin(const std::filesystem::path& cert_file) {
  auto pem = files::read(cert_file);
  if (!pem) return pem.error();
  BioPtr bio(BIO_new_mem_buf(pem->data(), static_cast<int>(pem->size())));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return tls_error("cannot parse certificate " + cert_file.string());
  unsigned char* der = nullptr;
  const int length = i2d_PUBKEY(X509_get0_pubkey(cert.get()), &der);
  if (length <= 0) return tls_error("cannot encode public key");
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256(der, static_cast<std::size_t>(length), reinterpret_cast<unsigned char*>(digest.data()));
  OPENSSL_free(der);
  return "sha256//" + crypto::base64(digest);
}

}  // namespace balctl::http
