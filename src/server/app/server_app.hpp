// `balctl serve`: wires store, services, HTTP server and background persister together, runs until
// SIGTERM/SIGINT, then shuts down gracefully (in-flight requests finish, liveness is flushed).
#pragma once

#include "server/app/serve_options.hpp"

namespace balctl::app {

// Returns the process exit code: 0 after a clean shutdown, 1 when start-up fails.
int run_server(const ServeOptions& options);

}  // namespace balctl::app
