#include "server/inventory/enrolment.hpp"

#include "common/crypto.hpp"
#include "common/time.hpp"
#include "common/validate.hpp"
#include "server/fleet/enrolment_keys.hpp"

namespace balctl::inventory {
namespace {

Error invalid_key() {
  return Error{Errc::unauthorized, "invalid_enrollment_key", "the enrollment key is not valid", {}};
}

}  // namespace

EnrolmentService::EnrolmentService(store::Store& store, fleet::Registry& registry, liveness::LivenessTable& liveness,
                                   events::EventLog& events, EnrolmentSettings settings)
    : store_(store), registry_(registry), liveness_(liveness), events_(events), settings_(std::move(settings)) {}

Result<protocol::EnrolResponse> EnrolmentService::enrol(const protocol::EnrolRequest& request,
                                                        std::string_view source_ip) {
  const auto key_id = crypto::credential_id(fleet::kEnrollmentKeyPrefix, request.key);
  if (!key_id) return invalid_key();
  auto key = store_.find_enrollment_key(*key_id);
  if (!key) return key.error().kind == Errc::unauthorized ? invalid_key() : key.error();
  if (!crypto::equal_constant_time(key->key_hash, crypto::hash_secret(request.key))) return invalid_key();
  if (key->used_ms) return Error::conflict("enrollment_key_used", "the enrollment key has already been used");
  const auto now = time::unix_ms_now();
  if (now >= key->expires_ms) {
    return Error{Errc::unauthorized, "enrollment_key_expired",
                 "the enrollment key expired at " + time::rfc3339(key->expires_ms) +
                     "; issue a new one with 'balctl member rekey'",
                 {}};
  }
  auto member = store_.find_member_by_id(key->member_id);
  if (!member) return member.error();
  if (member->hostname != request.hostname) {
    return Error{Errc::forbidden, "hostname_mismatch",
                 "this key was issued for member '" + member->hostname + "', not '" + request.hostname + "'",
                 "hostname"};
  }
  const std::string source = validate::ip_address(source_ip).value_or(std::string(source_ip));
  if (member->egress_ip && source != *member->egress_ip) {
    const std::string message =
        "enrolment from " + source + " refused: member only allowed from " + *member->egress_ip;
    if (refusals_.due(member->id, time::steady_ms_now())) {
      const auto pool = registry_.pool(member->pool_id);
      (void)events_.record({0, now, events::kind::kEnrolmentRefused, pool ? pool->name : "", member->hostname,
                            "agent:" + member->hostname, message});
    }
    return Error{Errc::forbidden, "egress_ip_mismatch", message, {}};
  }
  const auto secret = crypto::make_credential(fleet::kMemberSecretPrefix, std::to_string(member->id));
  auto enrolled = store_.redeem_enrollment_key(*key_id, crypto::hash_secret(secret.text), now);
  if (!enrolled) return enrolled.error();
  registry_.put_member(*enrolled);
  liveness_.remove(enrolled->id);  // a re-enrolled host starts fresh
  if (observer_ != nullptr) observer_->member_changed(*enrolled);
  const auto pool = registry_.pool(enrolled->pool_id);
  const std::string pool_name = pool ? pool->name : "";
  (void)events_.record({0, now, events::kind::kMemberEnrolled, pool_name, enrolled->hostname,
                        "agent:" + enrolled->hostname,
                        "enrolled from " + std::string(source_ip) + " as " + enrolled->role + " (agent " +
                            request.agent_version + ")"});
  protocol::EnrolResponse response;
  response.member_id = enrolled->id;
  response.secret = secret.text;
  response.pool = pool_name;
  response.interval_ms = settings_.interval_ms;
  response.server_public_key = settings_.server_public_key;
  return response;
}

}  // namespace balctl::inventory
