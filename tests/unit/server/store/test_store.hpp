// A real SQLite store for tests, in a directory the caller owns (see unit/support/temp_dir.hpp).
#pragma once

#include <filesystem>
#include <memory>
#include <stdexcept>

#include "server/store/store.hpp"

namespace balctl::testing {

// Opens (creating and migrating) the store; throws so that a broken store fails the test loudly.
inline std::unique_ptr<store::Store> open_test_store(const std::filesystem::path& file) {
  auto opened = store::open_sqlite_store(file);
  if (!opened) throw std::runtime_error("cannot open test store: " + opened.error().message);
  return std::move(opened.value());
}

}  // namespace balctl::testing
