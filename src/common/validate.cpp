#include "common/validate.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace balctl::validate {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

bool valid_label(std::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  return std::all_of(label.begin(), label.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '-'; });
}

}  // namespace

std::optional<std::string> ipv4(std::string_view text) {
  if (text.empty() || text.size() > 15) return std::nullopt;
  unsigned octets = 0;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t dot = std::min(text.find('.', pos), text.size());
    const std::string_view part = text.substr(pos, dot - pos);
    if (part.empty() || part.size() > 3 || (part.size() > 1 && part.front() == '0')) return std::nullopt;
    unsigned value = 0;
    for (const char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > 255) return std::nullopt;
    ++octets;
    pos = dot + 1;
  }
  if (octets != 4) return std::nullopt;
  return std::string(text);
}

std::optional<std::string> advertised_ipv4(std::string_view text) {
  auto address = ipv4(text);
  if (!address) return std::nullopt;
  in_addr raw{};
  ::inet_pton(AF_INET, address->c_str(), &raw);
  const std::uint32_t host = ntohl(raw.s_addr);
  const std::uint32_t first = host >> 24;
  if (first == 0 || first >= 224) return std::nullopt;  // "this network", multicast, reserved, broadcast
  return address;
}

std::optional<std::string> ip_address(std::string_view text) {
  if (auto v4 = ipv4(text)) return v4;
  if (text.empty() || text.size() > 45) return std::nullopt;
  const std::string copy(text);
  in6_addr raw{};
  if (::inet_pton(AF_INET6, copy.c_str(), &raw) != 1) return std::nullopt;
  std::array<char, INET6_ADDRSTRLEN> buffer{};
  if (IN6_IS_ADDR_V4MAPPED(&raw)) {
    ::inet_ntop(AF_INET, &raw.s6_addr[12], buffer.data(), buffer.size());
  } else {
    ::inet_ntop(AF_INET6, &raw, buffer.data(), buffer.size());
  }
  return std::string(buffer.data());
}

std::optional<std::string> hostname(std::string_view text) {
  if (!text.empty() && text.back() == '.') text.remove_suffix(1);
  if (text.empty() || text.size() > 253) return std::nullopt;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    const std::size_t dot = std::min(text.find('.', pos), text.size());
    if (!valid_label(text.substr(pos, dot - pos))) return std::nullopt;
    pos = dot + 1;
  }
  return lower(text);
}

std::optional<std::string> fqdn(std::string_view text) {
  auto name = hostname(text);
  if (!name) return std::nullopt;
  const auto last_dot = name->rfind('.');
  if (last_dot == std::string::npos) return std::nullopt;
  const std::string_view tld = std::string_view(*name).substr(last_dot + 1);
  if (std::all_of(tld.begin(), tld.end(), [](unsigned char c) { return std::isdigit(c); })) return std::nullopt;
  return name;
}

std::optional<std::string> object_name(std::string_view text) {
  if (text.empty() || text.size() > 63) return std::nullopt;
  if (!std::isalnum(static_cast<unsigned char>(text.front()))) return std::nullopt;
  const bool allowed = std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '-' || c == '_';
  });
  if (!allowed) return std::nullopt;
  return std::string(text);
}

bool version_token(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  return std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '+' || c == '~' || c == '_' || c == '-';
  });
}

bool unit_name(std::string_view text) {
  if (text.empty() || text.size() > 255) return false;
  return std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return std::isalnum(c) || c == ':' || c == '_' || c == '.' || c == '@' || c == '\\' || c == '-';
  });
}

bool credential_text(std::string_view text) {
  if (text.empty() || text.size() > 256) return false;
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '.' || c == '_' || c == '-'; });
}

bool lower_word(std::string_view text, std::size_t max_length) {
  if (text.empty() || text.size() > max_length) return false;
  return std::all_of(text.begin(), text.end(), [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || std::isdigit(c) || c == '_' || c == '-';
  });
}

}  // namespace balctl::validate
