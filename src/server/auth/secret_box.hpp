// Encryption at rest for DNS provider and alert channel secrets: XSalsa20-Poly1305 (libsodium
// secretbox) with a random key in DATA_DIR/secrets.key (0600). A stolen database alone reveals nothing.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace balctl::auth {

class SecretBox {
 public:
  // Loads the key, creating it on first use.
  static Result<SecretBox> open(const std::filesystem::path& key_file);

  // base64(nonce || ciphertext)
  std::string seal(std::string_view plaintext) const;
  Result<std::string> unseal(std::string_view sealed) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace balctl::auth
