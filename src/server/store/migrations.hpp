// Versioned schema migrations, applied at start. The schema version lives in PRAGMA user_version; a
// database newer than this binary knows is refused rather than misread.
#pragma once

#include "common/result.hpp"
#include "server/store/sqlite.hpp"

namespace balctl::store {

int latest_schema_version();
Result<int> schema_version(Database& db);
// Applies every pending migration up to `target` (default: all), each in its own transaction. Returns the
// resulting version. A target below the latest is for tests that build an old database.
Result<int> migrate(Database& db, int target = 0);

}  // namespace balctl::store
