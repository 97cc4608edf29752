// Named admin API tokens. Only hashes are stored; the token text is shown once, at creation. The first
// start creates token "admin" and writes it to DATA_DIR/admin.token (0600).
#pragma once

#include <filesystem>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/result.hpp"
#include "server/events/event_log.hpp"
#include "server/store/store.hpp"

namespace balctl::auth {

inline constexpr std::string_view kAdminTokenPrefix = "bat";

struct TokenInfo {
  std::string name;
  std::int64_t created_ms = 0;
};

class AdminTokens {
 public:
  AdminTokens(store::Store& store, events::EventLog& events) : store_(store), events_(events) {}

  // Loads token hashes; on an empty store creates "admin" and writes its text to `token_file`.
  Status bootstrap(const std::filesystem::path& token_file);

  // The token's name when `token` is valid; unauthorized otherwise.
  Result<std::string> authenticate(std::string_view token) const;

  // Returns the new token's text (shown once).
  Result<std::string> create(std::string_view name, std::string_view actor);
  Status revoke(std::string_view name, std::string_view actor);
  Result<std::vector<TokenInfo>> list();

 private:
  Status reload();

  store::Store& store_;
  events::EventLog& events_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::string> hashes_;  // name -> hash
};

}  // namespace balctl::auth
