// The control plane's Ed25519 job-signing key: created on first start in DATA_DIR/signing.key (0600);
// its public half is given to agents at enrolment so they only run jobs this server signed.
#pragma once

#include <filesystem>

#include "common/crypto.hpp"
#include "common/result.hpp"

namespace balctl::auth {

Result<crypto::SigningKeyPair> load_or_create_signing_key(const std::filesystem::path& file);

}  // namespace balctl::auth
