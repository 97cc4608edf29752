#include "server/dns/rfc2136_provider.hpp"


#include <memory>

#include "server/dns/dns_query.hpp"

// ldns defines true/false/bool macros in C++; it must come after every other header.
#include <ldns/ldns.h>

namespace balctl::dns {
namespace {

constexpr int kPrerequisiteRetries = 3;
constexpr int kSendAttempts = 2;
// TSIG error field values (RFC 8945 section 4.3).
constexpr int kTsigBadSig = 16;
constexpr int kTsigBadKey = 17;
constexpr int kTsigBadTime = 18;

struct Owned {
  ldns_resolver* resolver = nullptr;
  ldns_pkt* update = nullptr;
  ldns_pkt* answer = nullptr;
  ldns_rr_list* prerequisites = ldns_rr_list_new();
  ldns_rr_list* changes = ldns_rr_list_new();
  ~Owned() {
    if (resolver != nullptr) ldns_resolver_deep_free(resolver);
    if (update != nullptr) ldns_pkt_free(update);
    if (answer != nullptr) ldns_pkt_free(answer);
    ldns_rr_list_deep_free(prerequisites);
    ldns_rr_list_deep_free(changes);
  }
};

Error dns_error(Errc kind, std::string code, std::string message) {
  return Error{kind, std::move(code), std::move(message), {}};
}

// An RR with no rdata: the "RRset does not exist" prerequisite (class NONE) and "delete RRset" (class
// ANY) of RFC 2136 sections 2.4.3 and 2.5.2.
ldns_rr* empty_rr(const std::string& owner, ldns_rr_class klass) {
  ldns_rr* rr = ldns_rr_new();
  ldns_rr_set_owner(rr, ldns_dname_new_frm_str(owner.c_str()));
  ldns_rr_set_type(rr, LDNS_RR_TYPE_A);
  ldns_rr_set_class(rr, klass);
  ldns_rr_set_ttl(rr, 0);
  return rr;
}

ldns_rr* a_rr(const std::string& owner, std::int64_t ttl, const std::string& ipv4) {
  ldns_rr* rr = nullptr;
  const std::string text = owner + ". " + std::to_string(ttl) + " IN A " + ipv4;
  if (ldns_rr_new_frm_str(&rr, text.c_str(), 0, nullptr, nullptr) != LDNS_STATUS_OK) return nullptr;
  return rr;
}

// The TSIG error of a reply, when it carries a TSIG record.
int tsig_error(const ldns_pkt* reply) {
  const ldns_rr* tsig = ldns_pkt_tsig(reply);
  if (tsig == nullptr || ldns_rr_rd_count(tsig) < 6) return 0;
  return ldns_rdf2native_int16(ldns_rr_rdf(tsig, 5));
}

Error explain_rcode(int rcode, int tsig, const std::string& where, const std::string& zone) {
  if (rcode == LDNS_RCODE_NOTAUTH) {
    std::string why = "the server does not accept our TSIG key";
    if (tsig == kTsigBadKey) why = "the server does not know our TSIG key name or algorithm (BADKEY)";
    if (tsig == kTsigBadSig) why = "the TSIG secret is wrong (BADSIG)";
    if (tsig == kTsigBadTime) why = "the clocks differ by more than the TSIG fudge (BADTIME)";
    if (tsig == 0) why = "the server is not authoritative for zone " + zone + " or rejects our key";
    return dns_error(Errc::forbidden, "dns_notauth", where + " answered NOTAUTH: " + why);
  }
  if (rcode == LDNS_RCODE_REFUSED) {
    return dns_error(Errc::forbidden, "dns_refused",
                     where + " answered REFUSED: updates to zone " + zone + " are not allowed for this key");
  }
  if (rcode == LDNS_RCODE_NOTZONE) {
    return dns_error(Errc::not_found, "dns_notzone", where + " answered NOTZONE: the name is not in zone " + zone);
  }
  if (rcode == LDNS_RCODE_NXRRSET || rcode == LDNS_RCODE_YXRRSET) {
    return dns_error(Errc::conflict, "dns_prerequisite", where + " answered " + rcode_name(rcode) +
                                                             ": the record changed since we read it");
  }
  if (rcode == LDNS_RCODE_SERVFAIL) {
    return dns_error(Errc::unavailable, "dns_servfail", where + " answered SERVFAIL (zone not loaded?)");
  }
  return dns_error(Errc::unavailable, "dns_error", where + " answered " + rcode_name(rcode));
}

Status rcode_status(const ldns_pkt* reply, const std::string& where, const std::string& zone) {
  const int rcode = ldns_pkt_get_rcode(reply);
  if (rcode != LDNS_RCODE_NOERROR) return explain_rcode(rcode, tsig_error(reply), where, zone);
  return {};
}

}  // namespace

Status update_reply_status(std::string_view wire, const std::string& where, const std::string& zone) {
  ldns_pkt* reply = nullptr;
  const ldns_status status =
      ldns_wire2pkt(&reply, reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size());
  if (status != LDNS_STATUS_OK || reply == nullptr) {
    if (reply != nullptr) ldns_pkt_free(reply);
    return dns_error(Errc::unavailable, "dns_unreachable",
                     "no answer from " + where + ": " + ldns_get_errorstr_by_id(status));
  }
  auto result = rcode_status(reply, where, zone);
  ldns_pkt_free(reply);
  return result;
}

bool in_zone(const std::string& fqdn, const std::string& zone) {
  return fqdn == zone || (fqdn.size() > zone.size() && fqdn.compare(fqdn.size() - zone.size(), zone.size(), zone) == 0 &&
                          fqdn[fqdn.size() - zone.size() - 1] == '.');
}

Result<std::vector<std::string>> Rfc2136Provider::get_a_records(const std::string& fqdn) {
  auto address = resolve_server_address(config_.server);
  if (!address) return address.error();
  return query_a({*address, config_.port}, fqdn);
}

Result<std::optional<std::uint32_t>> Rfc2136Provider::soa_serial() {
  auto address = resolve_server_address(config_.server);
  if (!address) return address.error();
  auto serial = query_soa_serial({*address, config_.port}, config_.zone);
  if (!serial) return serial.error();
  return std::optional<std::uint32_t>(*serial);
}

Status Rfc2136Provider::set_a_record(const std::string& fqdn, const std::string& ipv4, std::int64_t ttl) {
  if (!in_zone(fqdn, config_.zone)) {
    return dns_error(Errc::invalid_argument, "dns_notzone", fqdn + " is not inside zone " + config_.zone);
  }
  for (int attempt = 1;; ++attempt) {
    auto current = get_a_records(fqdn);
    if (!current) return current.error();
    auto status = send_update(fqdn, *current, ipv4, ttl);
    if (status || status.error().code != "dns_prerequisite" || attempt >= kPrerequisiteRetries) return status;
  }
}

// Sent by hand rather than with ldns_resolver_send_pkt: that call throws away a reply whose TSIG does not
// verify, and a server that rejects our key (NOTAUTH with BADKEY/BADSIG) cannot sign its refusal, so the
// operator would never learn why. We read every reply and check its signature only when it claims success.
Status Rfc2136Provider::send_update(const std::string& fqdn, const std::vector<std::string>& current,
                                    const std::string& ipv4, std::int64_t ttl) {
  auto address = resolve_server_address(config_.server);
  if (!address) return address.error();
  const std::string where = *address + ":" + std::to_string(config_.port);
  Owned o;
  o.resolver = ldns_resolver_new();  // only carries the TSIG key for signing
  const std::string key_name = config_.tsig_name + ".";

  if (current.empty()) {
    ldns_rr_list_push_rr(o.prerequisites, empty_rr(fqdn, LDNS_RR_CLASS_NONE));
  } else {
    for (const auto& address_text : current) ldns_rr_list_push_rr(o.prerequisites, a_rr(fqdn, 0, address_text));
  }
  ldns_rr_list_push_rr(o.changes, empty_rr(fqdn, LDNS_RR_CLASS_ANY));
  ldns_rr* added = a_rr(fqdn, ttl, ipv4);
  if (added == nullptr) return dns_error(Errc::invalid_argument, "dns_config", "'" + ipv4 + "' is not an IPv4 address");
  ldns_rr_list_push_rr(o.changes, added);

  o.update = ldns_update_pkt_new(ldns_dname_new_frm_str(config_.zone.c_str()), LDNS_RR_CLASS_IN, o.prerequisites,
                                 o.changes, nullptr);
  if (o.update == nullptr) return dns_error(Errc::internal, "dns_config", "cannot build the UPDATE message");
  if (auto signed_ok = sign(o.update, o.resolver, true); !signed_ok) return signed_ok;
  auto reply = exchange(*address, o.update, where);
  if (!reply) return reply.error();
  o.answer = reply->packet;
  if (auto refused = rcode_status(o.answer, where, config_.zone); !refused) return refused;
  const ldns_rr* request_tsig = ldns_pkt_tsig(o.update);
  if (request_tsig == nullptr ||
      !ldns_pkt_tsig_verify(o.answer, reply->wire.data(), reply->wire.size(), key_name.c_str(),
                            config_.tsig_secret.c_str(), ldns_rr_rdf(request_tsig, 3))) {
    return dns_error(Errc::forbidden, "dns_notauth", where + " sent a success reply whose TSIG signature does not verify");
  }
  return {};
}

Status Rfc2136Provider::sign(ldns_pkt* message, ldns_resolver* owner, bool update) const {
  const std::string key_name = config_.tsig_name + ".";
  const std::string algorithm = config_.tsig_algorithm + ".";
  ldns_resolver_set_tsig_keyname(owner, key_name.c_str());
  ldns_resolver_set_tsig_algorithm(owner, algorithm.c_str());
  ldns_resolver_set_tsig_keydata(owner, config_.tsig_secret.c_str());
  ldns_pkt_set_random_id(message);
  const ldns_status status = update ? ldns_update_pkt_tsig_add(message, owner)
                                    : ldns_pkt_tsig_sign(message, key_name.c_str(), config_.tsig_secret.c_str(), 300,
                                                         algorithm.c_str(), nullptr);
  if (status != LDNS_STATUS_OK) {
    return dns_error(Errc::invalid_argument, "dns_config", "cannot sign with TSIG key " + config_.tsig_name);
  }
  return {};
}

Result<std::vector<std::string>> Rfc2136Provider::check_binding(const std::string& fqdn) {
  auto address = resolve_server_address(config_.server);
  if (!address) return address.error();
  const std::string where = *address + ":" + std::to_string(config_.port);
  Owned o;
  o.resolver = ldns_resolver_new();
  o.update = ldns_pkt_query_new(ldns_dname_new_frm_str(config_.zone.c_str()), LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0);
  if (o.update == nullptr) return dns_error(Errc::internal, "dns_config", "cannot build the SOA query");
  if (auto signed_ok = sign(o.update, o.resolver, false); !signed_ok) return signed_ok.error();
  auto reply = exchange(*address, o.update, where);
  if (!reply) return reply.error();
  o.answer = reply->packet;
  const int rcode = ldns_pkt_get_rcode(o.answer);
  if (rcode == LDNS_RCODE_REFUSED) {
    return dns_error(Errc::not_found, "dns_notzone",
                     where + " refused a query for zone " + config_.zone + ": it does not serve zone " + config_.zone);
  }
  if (rcode != LDNS_RCODE_NOERROR) return explain_rcode(rcode, tsig_error(o.answer), where, config_.zone);
  if (!ldns_pkt_aa(o.answer)) {
    return dns_error(Errc::forbidden, "dns_notauth", where + " is not authoritative for zone " + config_.zone);
  }
  return get_a_records(fqdn);
}

Result<Rfc2136Provider::Reply> Rfc2136Provider::exchange(const std::string& address, ldns_pkt* update,
                                                          const std::string& where) {
  ldns_rdf* server = ldns_rdf_new_frm_str(address.find(':') == std::string::npos ? LDNS_RDF_TYPE_A : LDNS_RDF_TYPE_AAAA,
                                          address.c_str());
  std::size_t socket_size = 0;
  sockaddr_storage* destination =
      ldns_rdf2native_sockaddr_storage(server, static_cast<std::uint16_t>(config_.port), &socket_size);
  ldns_rdf_deep_free(server);
  ldns_buffer* query = ldns_buffer_new(LDNS_MAX_PACKETLEN);
  ldns_status status = ldns_pkt2buffer_wire(query, update);
  Reply reply;
  for (int attempt = 0; status == LDNS_STATUS_OK && attempt < kSendAttempts; ++attempt) {
    std::uint8_t* wire = nullptr;
    std::size_t size = 0;
    status = ldns_udp_send(&wire, query, destination, static_cast<socklen_t>(socket_size), timeval{1, 0}, &size);
    if (status == LDNS_STATUS_OK && wire != nullptr) {
      reply.wire.assign(wire, wire + size);
      free(wire);  // NOLINT: allocated by ldns
      status = ldns_wire2pkt(&reply.packet, reply.wire.data(), reply.wire.size());
      break;
    }
    free(wire);  // NOLINT: allocated by ldns
    status = LDNS_STATUS_NETWORK_ERR;
  }
  ldns_buffer_free(query);
  free(destination);  // NOLINT: allocated by ldns
  if (status != LDNS_STATUS_OK || reply.packet == nullptr) {
    return dns_error(Errc::unavailable, "dns_unreachable",
                     "no answer from " + where + ": " + ldns_get_errorstr_by_id(status));
  }
  return reply;
}

}  // namespace balctl::dns
