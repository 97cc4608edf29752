// Small file helpers: atomic replace with an explicit mode (secrets are written 0600 from the first byte),
// bounded reads, and directories with a mode.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>

#include "common/result.hpp"

namespace balctl::files {

// Writes to a temporary file in the same directory with `mode`, fsyncs, renames over `path`, fsyncs the
// directory. A crash leaves either the old file or the new one, never a partial one.
Status write_atomic(const std::filesystem::path& path, std::string_view content, mode_t mode);

Result<std::string> read(const std::filesystem::path& path, std::size_t max_bytes = 1 << 20);

// Creates the directory (and parents) if needed and sets `mode` on the last component.
Status ensure_directory(const std::filesystem::path& path, mode_t mode);

}  // namespace balctl::files
