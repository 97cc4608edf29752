// The file of `balctl serve --config FILE` (TOML or INI, read by CLI11 against the declared options),
// then the checks the server makes before it starts. Local admin input rather than network input, but a
// broken file must be refused with a message, never crash the server or start it with an out-of-range
// setting.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include <CLI/CLI.hpp>

#include "fuzz_check.hpp"
#include "server/app/serve_options.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl::app;
  CLI::App app;
  ServeOptions options;
  add_serve_options(app, options);
  std::istringstream file(std::string(reinterpret_cast<const char*>(data), size));
  try {
    app.parse_from_stream(file);
  } catch (const CLI::Error&) {
    return 0;  // refused with CLI11's message, as `serve` does
  }
  FUZZ_CHECK(options.max_body_bytes >= 1024 && options.max_body_bytes <= (64 << 20));
  FUZZ_CHECK(options.read_timeout_ms >= 100 && options.read_timeout_ms <= 600'000);
  FUZZ_CHECK(options.max_connections >= 1 && options.max_connections <= 1'000'000);
  if (const auto status = validate(options); !status) FUZZ_CHECK(!status.error().message.empty());
  if (const auto listen = parse_listen(options.listen); !listen) FUZZ_CHECK(!listen.error().field.empty());
  return 0;
}
