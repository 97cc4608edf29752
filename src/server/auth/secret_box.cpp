#include "server/auth/secret_box.hpp"

#include <sodium.h>

#include "common/crypto.hpp"
#include "common/files.hpp"

namespace balctl::auth {

Result<SecretBox> SecretBox::open(const std::filesystem::path& key_file) {
  if (!std::filesystem::exists(key_file)) {
    std::string key(crypto_secretbox_KEYBYTES, '\0');
    crypto_secretbox_keygen(reinterpret_cast<unsigned char*>(key.data()));
    if (auto status = files::write_atomic(key_file, crypto::base64(key) + "\n", 0600); !status) return status.error();
    return SecretBox(std::move(key));
  }
  auto text = files::read(key_file, 4096);
  if (!text) return text.error();
  while (!text->empty() && (text->back() == '\n' || text->back() == '\r')) text->pop_back();
  auto key = crypto::from_base64(*text);
  if (!key || key->size() != crypto_secretbox_KEYBYTES) {
    return Error{Errc::internal, "bad_secrets_key", key_file.string() + " does not hold a 32-byte key", {}};
  }
  return SecretBox(std::move(*key));
}

std::string SecretBox::seal(std::string_view plaintext) const {
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES, reinterpret_cast<const unsigned char*>(plaintext.data()),
                        plaintext.size(), nonce, reinterpret_cast<const unsigned char*>(key_.data()));
  return crypto::base64(out);
}

Result<std::string> SecretBox::unseal(std::string_view sealed) const {
  const auto raw = crypto::from_base64(sealed);
  if (!raw || raw->size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Error{Errc::internal, "bad_secret", "stored secret is damaged", {}};
  }
  const auto* nonce = reinterpret_cast<const unsigned char*>(raw->data());
  const auto* box = nonce + crypto_secretbox_NONCEBYTES;
  const std::size_t box_size = raw->size() - crypto_secretbox_NONCEBYTES;
  std::string plain(box_size - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()), box, box_size, nonce,
                                 reinterpret_cast<const unsigned char*>(key_.data())) != 0) {
    return Error{Errc::internal, "bad_secret", "stored secret does not decrypt with secrets.key", {}};
  }
  return plain;
}

}  // namespace balctl::auth
