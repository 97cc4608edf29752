#include "server/dns/dns_query.hpp"

#include <netdb.h>

#include <algorithm>
#include <array>
#include <memory>

#include "common/validate.hpp"

// ldns defines true/false/bool macros in C++; it must come after every other header.
#include <ldns/ldns.h>

namespace balctl::dns {
namespace {

struct ResolverDeleter {
  void operator()(ldns_resolver* r) const { ldns_resolver_deep_free(r); }
};
struct PacketDeleter {
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
};
struct RdfDeleter {
  void operator()(ldns_rdf* r) const { ldns_rdf_deep_free(r); }
};
struct RrListDeleter {
  void operator()(ldns_rr_list* l) const { ldns_rr_list_deep_free(l); }
};
using ResolverPtr = std::unique_ptr<ldns_resolver, ResolverDeleter>;
using PacketPtr = std::unique_ptr<ldns_pkt, PacketDeleter>;
using RdfPtr = std::unique_ptr<ldns_rdf, RdfDeleter>;
using RrListPtr = std::unique_ptr<ldns_rr_list, RrListDeleter>;

Error dns_error(Errc kind, std::string code, std::string message) {
  return Error{kind, std::move(code), std::move(message), {}};
}

Result<ResolverPtr> make_resolver(const AuthoritativeServer& server) {
  ResolverPtr resolver(ldns_resolver_new());
  const bool v6 = server.address.find(':') != std::string::npos;
  RdfPtr address(ldns_rdf_new_frm_str(v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A, server.address.c_str()));
  if (!resolver || !address || ldns_resolver_push_nameserver(resolver.get(), address.get()) != LDNS_STATUS_OK) {
    return dns_error(Errc::invalid_argument, "dns_config", "'" + server.address + "' is not a server address");
  }
  ldns_resolver_set_port(resolver.get(), static_cast<std::uint16_t>(server.port));
  ldns_resolver_set_recursive(resolver.get(), false);
  ldns_resolver_set_dnssec(resolver.get(), false);
  const auto ms = server.timeout.count();
  ldns_resolver_set_timeout(resolver.get(), timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)});
  ldns_resolver_set_retry(resolver.get(), 1);
  ldns_resolver_set_retrans(resolver.get(), 1);
  return resolver;
}

// The checks every answer passes before its records are believed.
Status check_answer(const ldns_pkt* answer, const std::string& where, const std::string& name) {
  const int rcode = ldns_pkt_get_rcode(answer);
  if (rcode == LDNS_RCODE_SERVFAIL) {
    return dns_error(Errc::unavailable, "dns_servfail", where + " answered SERVFAIL for " + name);
  }
  if (rcode == LDNS_RCODE_REFUSED) {
    return dns_error(
        Errc::forbidden, "dns_refused",
        where + " answered REFUSED for " + name + " (it does not serve that zone or refuses us)");
  }
  if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
    return dns_error(Errc::unavailable, "dns_error",
                     where + " answered " + rcode_name(rcode) + " for " + name);
  }
  if (!ldns_pkt_aa(answer)) {
    return dns_error(Errc::forbidden, "dns_notauth", where + " is not authoritative for " + name);
  }
  return {};
}

Result<PacketPtr> ask(const AuthoritativeServer& server, const std::string& name, ldns_rr_type type) {
  auto resolver = make_resolver(server);
  if (!resolver) return resolver.error();
  RdfPtr owner(ldns_dname_new_frm_str(name.c_str()));
  if (!owner) return dns_error(Errc::invalid_argument, "dns_config", "'" + name + "' is not a domain name");
  ldns_pkt* raw = nullptr;
  const ldns_status status = ldns_resolver_send(&raw, resolver->get(), owner.get(), type, LDNS_RR_CLASS_IN, 0);
  PacketPtr answer(raw);
  const std::string where = server.address + ":" + std::to_string(server.port);
  if (status != LDNS_STATUS_OK || !answer) {
    return dns_error(Errc::unavailable, "dns_timeout",
                     "no answer from " + where + ": " + ldns_get_errorstr_by_id(status));
  }
  if (auto checked = check_answer(answer.get(), where, name); !checked) return checked.error();
  return answer;
}

Result<PacketPtr> from_wire(std::string_view wire, const std::string& where, const std::string& name) {
  ldns_pkt* raw = nullptr;
  const ldns_status status =
      ldns_wire2pkt(&raw, reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size());
  PacketPtr answer(raw);
  if (status != LDNS_STATUS_OK || !answer) {
    return dns_error(Errc::unavailable, "dns_error",
                     where + " sent a malformed reply: " + ldns_get_errorstr_by_id(status));
  }
  if (auto checked = check_answer(answer.get(), where, name); !checked) return checked.error();
  return answer;
}

std::vector<std::string> a_records(const ldns_pkt* answer) {
  RrListPtr records(ldns_pkt_rr_list_by_type(answer, LDNS_RR_TYPE_A, LDNS_SECTION_ANSWER));
  std::vector<std::string> addresses;
  for (std::size_t i = 0; records && i < ldns_rr_list_rr_count(records.get()); ++i) {
    // ldns keeps a record whose rdata is shorter than its type's fields (rdlength 0 included) with fewer
    // fields, so each one is checked before it is read.
    const ldns_rdf* rdata = ldns_rr_rdf(ldns_rr_list_rr(records.get(), i), 0);
    if (rdata == nullptr || ldns_rdf_get_type(rdata) != LDNS_RDF_TYPE_A) continue;
    char* text = ldns_rdf2str(rdata);
    if (text != nullptr) addresses.emplace_back(text);
    free(text);  // NOLINT: allocated by ldns
  }
  std::sort(addresses.begin(), addresses.end());
  return addresses;
}

Result<std::uint32_t> soa_serial(const ldns_pkt* answer, const std::string& where, const std::string& zone) {
  RrListPtr records(ldns_pkt_rr_list_by_type(answer, LDNS_RR_TYPE_SOA, LDNS_SECTION_ANSWER));
  if (!records || ldns_rr_list_rr_count(records.get()) == 0) {
    return dns_error(Errc::not_found, "dns_notzone",
                     where + " has no SOA for zone " + zone + " (is the zone configured there?)");
  }
  // A truncated SOA has fewer than 3 fields; ldns_rdf2native_int32 asserts on the missing one.
  const ldns_rdf* serial = ldns_rr_rdf(ldns_rr_list_rr(records.get(), 0), 2);
  if (serial == nullptr || ldns_rdf_get_type(serial) != LDNS_RDF_TYPE_INT32 || ldns_rdf_size(serial) != 4) {
    return dns_error(Errc::unavailable, "dns_error",
                     where + " sent an SOA record for " + zone + " without a serial");
  }
  return ldns_rdf2native_int32(serial);
}

}  // namespace

std::string rcode_name(int rcode) {
  static constexpr std::array<const char*, 11> kNames = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                                         "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                                         "NXRRSET", "NOTAUTH", "NOTZONE"};
  if (rcode >= 0 && static_cast<std::size_t>(rcode) < kNames.size()) return kNames[static_cast<std::size_t>(rcode)];
  return "RCODE" + std::to_string(rcode);
}

Result<std::string> resolve_server_address(const std::string& host) {
  if (auto ip = validate::ip_address(host)) return *ip;
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* results = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &results) != 0 || results == nullptr) {
    return dns_error(Errc::unavailable, "dns_unreachable", "cannot resolve DNS server name '" + host + "'");
  }
  char text[NI_MAXHOST] = {};
  ::getnameinfo(results->ai_addr, results->ai_addrlen, text, sizeof text, nullptr, 0, NI_NUMERICHOST);
  ::freeaddrinfo(results);
  return std::string(text);
}

Result<std::vector<std::string>> query_a(const AuthoritativeServer& server, const std::string& fqdn) {
  auto answer = ask(server, fqdn, LDNS_RR_TYPE_A);
  if (!answer) return answer.error();
  return a_records(answer->get());
}

Result<std::uint32_t> query_soa_serial(const AuthoritativeServer& server, const std::string& zone) {
  auto answer = ask(server, zone, LDNS_RR_TYPE_SOA);
  if (!answer) return answer.error();
  return soa_serial(answer->get(), server.address, zone);
}

Result<std::vector<std::string>> parse_a_reply(std::string_view wire, const std::string& where,
                                               const std::string& fqdn) {
  auto answer = from_wire(wire, where, fqdn);
  if (!answer) return answer.error();
  return a_records(answer->get());
}

Result<std::uint32_t> parse_soa_reply(std::string_view wire, const std::string& where,
                                      const std::string& zone) {
  auto answer = from_wire(wire, where, zone);
  if (!answer) return answer.error();
  return soa_serial(answer->get(), where, zone);
}

}  // namespace balctl::dns
