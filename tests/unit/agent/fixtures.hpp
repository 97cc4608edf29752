// Reads a captured fixture from tests/fixtures/agent.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace balctl::testing {

inline std::string fixture(const std::string& name) {
  std::ifstream in(std::string(BALCTL_FIXTURE_DIR) + "/" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace balctl::testing
