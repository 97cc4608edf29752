#include "server/dns/cpanel_replies.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include <boost/json/parse.hpp>

#include "common/crypto.hpp"
#include "common/json.hpp"

namespace balctl::dns {
namespace {

constexpr std::size_t kMaxErrorText = 512;
constexpr std::size_t kMaxEntries = 100'000;  // a zone file of this many lines is not one we manage

Error bad_reply(CpanelApi api, std::string why) {
  // Most often the URL points at the other API (cPanel 2083 vs WHM 2087) or at a login page.
  return Error{Errc::invalid_argument,
               "dns_error",
               std::string(api == CpanelApi::whm ? "WHM API 1" : "cPanel UAPI") + " reply not understood (" +
                   why + "); check that api_url is the " +
                   (api == CpanelApi::whm ? "WHM address (port 2087)" : "cPanel address (port 2083)") +
                   " and that mode matches it",
               {}};
}

bool is_one(const boost::json::value* value) {
  if (value == nullptr) return false;
  if (value->is_int64()) return value->get_int64() == 1;
  if (value->is_uint64()) return value->get_uint64() == 1;
  if (value->is_string()) return value->get_string() == "1";
  return false;
}

// The object holding status/errors/data (UAPI) or metadata/data (WHM), or nullptr if the reply has neither.
const boost::json::object* envelope(const boost::json::value& body, CpanelApi api) {
  if (!body.is_object()) return nullptr;
  const auto& top = body.get_object();
  if (api == CpanelApi::whm) {
    // UAPI replies carry a metadata object too, but never metadata.result.
    const auto* metadata = top.if_contains("metadata");
    return metadata != nullptr && metadata->is_object() && metadata->get_object().contains("result")
               ? &top
               : nullptr;
  }
  if (top.contains("status")) return &top;
  // The `uapi` command-line form; real /execute/ replies are flat, but reading both costs nothing.
  const auto* result = top.if_contains("result");
  if (result != nullptr && result->is_object() && result->get_object().contains("status")) {
    return &result->get_object();
  }
  return nullptr;
}

bool succeeded(const boost::json::object& env, CpanelApi api) {
  if (api == CpanelApi::whm) return is_one(env.at("metadata").get_object().if_contains("result"));
  return is_one(env.if_contains("status"));
}

// One line of printable text, bounded, cut on a UTF-8 character boundary.
std::string one_line(std::string text) {
  for (auto& ch : text) {
    if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = ' ';
  }
  if (text.size() > kMaxErrorText) {
    std::size_t cut = kMaxErrorText;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
      --cut;
    text.resize(cut);
    text += "...";
  }
  return text;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return text;
}

std::optional<std::string> decode(const boost::json::value* value) {
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return crypto::from_base64(value->get_string());
}

std::optional<std::int64_t> integer(const boost::json::value* value) {
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64() && value->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(value->get_uint64());
  }
  return std::nullopt;
}

// Zone-file owner rules: "name." is absolute, "@" is the zone, "www" is relative to it, and a blank
// owner repeats the previous record's.
std::string owner_name(std::string dname, std::string_view zone, const std::string& previous) {
  dname = lower(std::move(dname));
  if (dname.empty()) return previous.empty() ? std::string(zone) : previous;
  if (dname == "@") return std::string(zone);
  if (dname.back() == '.') {
    dname.pop_back();
    return dname;
  }
  return dname + "." + std::string(zone);
}

Result<std::uint32_t> soa_serial(const CpanelRecord& soa, CpanelApi api) {
  if (soa.data.size() < 3) {
    return bad_reply(api, "its SOA has " + std::to_string(soa.data.size()) + " fields, not 7");
  }
  const std::string& text = soa.data[2];
  std::uint32_t serial = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), serial);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) {
    return bad_reply(api, "its SOA serial '" + one_line(text.substr(0, 32)) + "' is not a 32-bit number");
  }
  return serial;
}

Result<CpanelRecord> read_record(const boost::json::object& entry, CpanelApi api, std::string_view zone,
                                 const std::string& previous) {
  CpanelRecord record;
  const auto* type = entry.if_contains("record_type");
  const auto dname = decode(entry.if_contains("dname_b64"));
  const auto line = integer(entry.if_contains("line_index"));
  const auto* values = entry.if_contains("data_b64");
  if (type == nullptr || !type->is_string() || !dname || !line || *line < 0 || values == nullptr ||
      !values->is_array()) {
    return bad_reply(api, "a record without record_type, dname_b64, line_index or data_b64");
  }
  record.type = std::string(type->get_string());
  record.line_index = *line;
  record.ttl = integer(entry.if_contains("ttl")).value_or(0);
  record.name = owner_name(*dname, zone, previous);
  for (const auto& value : values->get_array()) {
    auto text = decode(&value);
    if (!text) return bad_reply(api, "a data_b64 value that is not base64");
    record.data.push_back(std::move(*text));
  }
  return record;
}

std::optional<boost::json::value> parse_json(std::string_view body) {
  boost::json::parse_options options;
  options.max_depth = json::kMaxDepth;
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec, {}, options);
  if (ec) return std::nullopt;
  return value;
}

}  // namespace

std::string cpanel_error_text(const boost::json::value& body, CpanelApi api) {
  const auto* env = envelope(body, api);
  if (env == nullptr) return {};
  std::string out;
  if (api == CpanelApi::whm) {
    const auto* reason = env->at("metadata").get_object().if_contains("reason");
    if (reason != nullptr && reason->is_string()) out = std::string(reason->get_string());
  } else if (const auto* errors = env->if_contains("errors"); errors != nullptr && errors->is_array()) {
    for (const auto& error : errors->get_array()) {
      if (!error.is_string()) continue;
      if (!out.empty()) out += "; ";
      out += std::string(error.get_string());
      if (out.size() > kMaxErrorText) break;
    }
  }
  return one_line(std::move(out));
}

Result<CpanelZone> parse_zone_json(const boost::json::value& body, CpanelApi api, std::string_view zone) {
  const auto* env = envelope(body, api);
  if (env == nullptr) return bad_reply(api, api == CpanelApi::whm ? "no metadata.result" : "no status");
  if (!succeeded(*env, api)) {
    auto text = cpanel_error_text(body, api);
    return Error{Errc::not_found,
                 "dns_notzone",
                 "cPanel cannot read zone " + std::string(zone) + ": " +
                     (text.empty() ? "it failed without saying why" : text),
                 {}};
  }
  const boost::json::value* entries = env->if_contains("data");
  if (api == CpanelApi::whm && entries != nullptr && entries->is_object()) {
    entries = entries->get_object().if_contains("payload");
  }
  if (entries == nullptr || !entries->is_array()) {
    return bad_reply(api, api == CpanelApi::whm ? "no data.payload array" : "no data array");
  }
  if (entries->get_array().size() > kMaxEntries) return bad_reply(api, "a zone of more than 100000 lines");
  CpanelZone out;
  std::string previous;
  for (const auto& item : entries->get_array()) {
    if (!item.is_object()) return bad_reply(api, "an entry that is not an object");
    const auto& entry = item.get_object();
    const auto* kind = entry.if_contains("type");
    // Comment and control ($TTL, $ORIGIN) lines carry text_b64 only; they hold no records.
    if (kind != nullptr && kind->is_string() && kind->get_string() != "record") continue;
    auto record = read_record(entry, api, zone, previous);
    if (!record) return record.error();
    previous = record->name;
    if (record->type == "SOA") {
      auto serial = soa_serial(*record, api);
      if (!serial) return serial.error();
      out.serial = *serial;
    }
    out.records.push_back(std::move(*record));
  }
  return out;
}

Result<CpanelZone> parse_zone_reply(std::string_view body, CpanelApi api, std::string_view zone) {
  auto value = parse_json(body);
  if (!value) return bad_reply(api, "not JSON");
  return parse_zone_json(*value, api, zone);
}

Status parse_edit_json(const boost::json::value& body, CpanelApi api) {
  const auto* env = envelope(body, api);
  if (env == nullptr) return bad_reply(api, api == CpanelApi::whm ? "no metadata.result" : "no status");
  if (succeeded(*env, api)) return {};
  auto text = cpanel_error_text(body, api);
  if (text.empty()) text = "it failed without saying why";
  // cPanel refuses an edit whose serial is not the zone's current one ("The given serial number (N)
  // does not match the DNS zone's serial number (M)..."): someone edited the zone after we read it.
  const auto folded = lower(text);
  if (folded.find("serial") != std::string::npos && folded.find("match") != std::string::npos) {
    return Error{Errc::conflict, "dns_prerequisite", "cPanel: " + text, {}};
  }
  return Error{Errc::invalid_argument, "dns_error", "cPanel refused the change: " + text, {}};
}

Status parse_edit_reply(std::string_view body, CpanelApi api) {
  auto value = parse_json(body);
  if (!value) return bad_reply(api, "not JSON");
  return parse_edit_json(*value, api);
}

}  // namespace balctl::dns
