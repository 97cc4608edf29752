#include "server/fleet/enrolment_keys.hpp"

#include "common/crypto.hpp"

namespace balctl::fleet {
namespace {

std::string quoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

NewKey new_enrollment_key(std::int64_t member_id, std::int64_t ttl_s, std::int64_t now_ms) {
  const auto credential = crypto::make_credential(kEnrollmentKeyPrefix, crypto::base64url(crypto::random_bytes(9)));
  NewKey key;
  key.text = credential.text;
  key.record.id = credential.id;
  key.record.member_id = member_id;
  key.record.key_hash = crypto::hash_secret(credential.text);
  key.record.created_ms = now_ms;
  key.record.expires_ms = now_ms + ttl_s * 1000;
  return key;
}

std::string install_command(std::string_view api_base, std::string_view pinned_key, std::string_view key,
                            std::string_view hostname) {
  std::string base(api_base);
  while (!base.empty() && base.back() == '/') base.pop_back();
  std::string command = "curl -fsSL ";
  if (!pinned_key.empty()) command += "-k --pinnedpubkey " + quoted(pinned_key) + " ";
  command += quoted(base + "/api/v1/agent/install.sh") + " | sh -s -- --api-base " + quoted(base) + " --key " +
             quoted(key) + " --hostname " + quoted(hostname);
  if (!pinned_key.empty()) command += " --pin " + quoted(pinned_key);
  return command;
}

}  // namespace balctl::fleet
