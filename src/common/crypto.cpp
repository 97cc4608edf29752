#include "common/crypto.hpp"

#include <sodium.h>

#include <stdexcept>
#include <vector>

namespace balctl::crypto {
namespace {

constexpr std::size_t kCredentialRandomBytes = 32;

const unsigned char* bytes_of(std::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}

std::string encode(std::string_view bytes, int variant) {
  std::string out(sodium_base64_encoded_len(bytes.size(), variant), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes_of(bytes), bytes.size(), variant);
  out.resize(out.size() - 1);  // drop the terminating NUL sodium writes
  return out;
}

}  // namespace

void init() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string base64url(std::string_view bytes) { return encode(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING); }
std::string base64(std::string_view bytes) { return encode(bytes, sodium_base64_VARIANT_ORIGINAL); }

std::optional<std::string> from_base64(std::string_view text) {
  std::string out(text.size(), '\0');
  std::size_t length = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), nullptr, &length, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) != 0) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

std::string hex(std::string_view bytes) {
  std::string out(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), bytes_of(bytes), bytes.size());
  out.pop_back();
  return out;
}

std::string random_bytes(std::size_t count) {
  std::string out(count, '\0');
  randombytes_buf(out.data(), out.size());
  return out;
}

std::string hash_secret(std::string_view secret) {
  std::string digest(crypto_generichash_BYTES, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(digest.data()), digest.size(), bytes_of(secret),
                     secret.size(), nullptr, 0);
  return hex(digest);
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Credential make_credential(std::string_view prefix, std::string_view id) {
  Credential credential;
  credential.id = std::string(id);
  credential.text = std::string(prefix) + "." + std::string(id) + "." +
                    base64url(random_bytes(kCredentialRandomBytes));
  return credential;
}

std::optional<std::string> credential_id(std::string_view prefix, std::string_view text) {
  if (text.size() > 256 || text.size() <= prefix.size() + 1) return std::nullopt;
  if (text.substr(0, prefix.size()) != prefix || text[prefix.size()] != '.') return std::nullopt;
  const std::string_view rest = text.substr(prefix.size() + 1);
  const auto dot = rest.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == rest.size()) return std::nullopt;
  return std::string(rest.substr(0, dot));
}

SigningKeyPair generate_signing_key() {
  SigningKeyPair pair{std::string(crypto_sign_PUBLICKEYBYTES, '\0'), std::string(crypto_sign_SECRETKEYBYTES, '\0')};
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(pair.public_key.data()),
                      reinterpret_cast<unsigned char*>(pair.secret_key.data()));
  return pair;
}

std::string sign_detached(std::string_view message, std::string_view secret_key) {
  if (secret_key.size() != crypto_sign_SECRETKEYBYTES) throw std::invalid_argument("bad signing key size");
  std::string signature(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr, bytes_of(message),
                       message.size(), bytes_of(secret_key));
  return signature;
}

bool verify_detached(std::string_view message, std::string_view signature, std::string_view public_key) {
  if (signature.size() != crypto_sign_BYTES || public_key.size() != crypto_sign_PUBLICKEYBYTES) return false;
  return crypto_sign_verify_detached(bytes_of(signature), bytes_of(message), message.size(),
                                     bytes_of(public_key)) == 0;
}

}  // namespace balctl::crypto
