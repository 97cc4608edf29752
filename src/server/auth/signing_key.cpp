#include "server/auth/signing_key.hpp"

#include <sodium.h>

#include "common/files.hpp"

namespace balctl::auth {

Result<crypto::SigningKeyPair> load_or_create_signing_key(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file)) {
    auto pair = crypto::generate_signing_key();
    if (auto status = files::write_atomic(file, crypto::base64(pair.secret_key) + "\n", 0600); !status) {
      return status.error();
    }
    return pair;
  }
  auto text = files::read(file, 4096);
  if (!text) return text.error();
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
  auto secret = crypto::from_base64(*text);
  if (!secret || secret->size() != crypto_sign_SECRETKEYBYTES) {
    return Error{Errc::internal, "bad_signing_key", file.string() + " does not hold an Ed25519 secret key", {}};
  }
  // An Ed25519 secret key in libsodium's layout carries the public key in its second half.
  return crypto::SigningKeyPair{secret->substr(crypto_sign_SECRETKEYBYTES - crypto_sign_PUBLICKEYBYTES), *secret};
}

}  // namespace balctl::auth
