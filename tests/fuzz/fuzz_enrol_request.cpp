// An enrolment request: POST /api/v1/agent/enrol, reachable without any credential but the key.
// What parses must survive its own serialisation, and the identifiers that reach logs and events must
// be free of control characters (issue 13 item 11: a newline would forge a log line).
#include <algorithm>
#include <cstddef>
#include <cstdint>

#include <boost/json/serialize.hpp>

#include "common/json.hpp"
#include "common/protocol.hpp"
#include "fuzz_check.hpp"

namespace {
bool printable(const std::string& text) {
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl;
  const auto object = json::parse_object(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!object) return 0;
  const auto request = protocol::parse_enrol_request(*object);
  if (!request) return 0;
  FUZZ_CHECK(printable(request->hostname) && printable(request->agent_version));
  const auto once = protocol::to_json(*request);
  const auto again = protocol::parse_enrol_request(once);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(boost::json::serialize(protocol::to_json(*again)) == boost::json::serialize(once));
  return 0;
}
