// Versioned schema migrations, applied at start. The schema version lives in PRAGMA user_version; a
// database newer than this binary knows is refused rather than misread.
#pragma once

#include "common/result.hpp"
#include "server/store/sqlite.hpp"

namespace balctl::store {

int latest_schema_version();
Result<int> schema_version(Database& db);
// Applies every pending migration, each in its own transaction. Returns the resulting version.
Result<int> migrate(Database& db);

}  // namespace balctl::store
