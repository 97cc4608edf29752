#include "server/auth/admin_tokens.hpp"

#include <spdlog/spdlog.h>

#include "common/crypto.hpp"
#include "common/files.hpp"
#include "common/time.hpp"
#include "common/validate.hpp"

namespace balctl::auth {
namespace {

Error unauthorized() {
  return Error{Errc::unauthorized, "unauthorized", "missing or invalid API token", {}};
}

}  // namespace

Status AdminTokens::reload() {
  auto tokens = store_.list_tokens();
  if (!tokens) return tokens.error();
  std::lock_guard lock(mutex_);
  hashes_.clear();
  for (const auto& token : *tokens) hashes_[token.name] = token.token_hash;
  return {};
}

Status AdminTokens::bootstrap(const std::filesystem::path& token_file) {
  if (auto status = reload(); !status) return status;
  {
    std::lock_guard lock(mutex_);
    if (!hashes_.empty()) return {};
  }
  const auto credential = crypto::make_credential(kAdminTokenPrefix, "admin");
  // Write the file first: a token nobody can read would lock the operator out.
  if (auto status = files::write_atomic(token_file, credential.text + "\n", 0600); !status) return status;
  if (auto status = store_.insert_token({"admin", crypto::hash_secret(credential.text), time::unix_ms_now()}); !status) {
    return status;
  }
  spdlog::info("admin_token_created file={}", token_file.string());
  (void)events_.record({0, 0, events::kind::kTokenCreated, "", "", "system", "initial admin token 'admin' created"});
  return reload();
}

Result<std::string> AdminTokens::authenticate(std::string_view token) const {
  const auto name = crypto::credential_id(kAdminTokenPrefix, token);
  if (!name) return unauthorized();
  const std::string hash = crypto::hash_secret(token);
  std::lock_guard lock(mutex_);
  const auto it = hashes_.find(*name);
  if (it == hashes_.end() || !crypto::equal_constant_time(it->second, hash)) return unauthorized();
  return *name;
}

Result<std::string> AdminTokens::create(std::string_view name, std::string_view actor) {
  const auto valid = validate::object_name(name);
  if (!valid) {
    return Error::invalid("name", "token name must be 1-63 characters of a-z, 0-9, '-' or '_'");
  }
  const auto credential = crypto::make_credential(kAdminTokenPrefix, *valid);
  if (auto status = store_.insert_token({*valid, crypto::hash_secret(credential.text), time::unix_ms_now()}); !status) {
    return status.error();
  }
  if (auto status = reload(); !status) return status.error();
  (void)events_.record({0, 0, events::kind::kTokenCreated, "", "", std::string(actor), "token '" + *valid + "' created"});
  return credential.text;
}

Status AdminTokens::revoke(std::string_view name, std::string_view actor) {
  {
    std::lock_guard lock(mutex_);
    if (!hashes_.contains(std::string(name))) {
      return Error::not_found("token_not_found", "no token named '" + std::string(name) + "'");
    }
    if (hashes_.size() == 1) {
      return Error::conflict("last_token", "refusing to revoke the last token; create another one first");
    }
  }
  if (auto status = store_.delete_token(name); !status) return status;
  if (auto status = reload(); !status) return status;
  (void)events_.record(
      {0, 0, events::kind::kTokenRevoked, "", "", std::string(actor), "token '" + std::string(name) + "' revoked"});
  return {};
}

Result<std::vector<TokenInfo>> AdminTokens::list() {
  auto tokens = store_.list_tokens();
  if (!tokens) return tokens.error();
  std::vector<TokenInfo> out;
  for (const auto& token : *tokens) out.push_back({token.name, token.created_ms});
  return out;
}

}  // namespace balctl::auth
