// Crypto helpers on libsodium: random credentials, hashing for storage, constant-time comparison,
// Ed25519 signing keys. Nothing here logs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace balctl::crypto {

// Must run once before any other function; throws std::runtime_error if libsodium cannot start.
void init();

std::string base64url(std::string_view bytes);
std::string base64(std::string_view bytes);
std::optional<std::string> from_base64(std::string_view text);
std::string hex(std::string_view bytes);
std::string random_bytes(std::size_t count);

// BLAKE2b-256 of the text, hex encoded. Credentials carry 256 random bits, so a fast hash is enough; what
// matters is that the store never holds the credential itself.
std::string hash_secret(std::string_view secret);

// Compares two equal-length strings in constant time; different lengths compare unequal at once.
bool equal_constant_time(std::string_view a, std::string_view b);

// Credentials look like "<prefix>.<id>.<43 base64url chars>": the id finds the stored hash without a
// scan, the random part carries the secret. Prefixes: "bat" admin token, "bek" enrollment key,
// "bms" member secret.
struct Credential {
  std::string id;
  std::string text;  // the whole credential as handed to the user
};
Credential make_credential(std::string_view prefix, std::string_view id);
// Returns the id when the text has the given prefix and shape; nullopt otherwise.
std::optional<std::string> credential_id(std::string_view prefix, std::string_view text);

struct SigningKeyPair {
  std::string public_key;  // 32 raw bytes
  std::string secret_key;  // 64 raw bytes
};
SigningKeyPair generate_signing_key();
std::string sign_detached(std::string_view message, std::string_view secret_key);
bool verify_detached(std::string_view message, std::string_view signature, std::string_view public_key);

}  // namespace balctl::crypto
