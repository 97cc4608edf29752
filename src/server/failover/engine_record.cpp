// The engine owns the pool's record: it publishes the active's address when a provider is bound, reads
// the record back periodically (CheckRecord, and whatever `dns check` reads), and repairs it when it is
// found pointing elsewhere. With dns-sync it also follows the active's observed address.
//
// Repair restores what balctl published. A record balctl has not published through the current binding
// (bound with --no-publish) is only flagged as a mismatch: the operator asked not to touch it, and a
// failover or `balctl failover POOL --to ACTIVE` publishes it. A read-back that matches the active's
// address counts as published.
#include "server/failover/decision_engine.hpp"

#include <algorithm>

#include "server/failover/engine_support.hpp"

namespace balctl::failover {
namespace {

using detail::retry_delay;
using detail::seconds;

// After a start or a new binding, the first read-backs are spread over this much time, so a control
// plane with many pools does not ask every provider at once.
constexpr std::int64_t kFirstCheckSpreadMs = 10'000;

std::string list(const std::vector<std::string>& addresses) {
  if (addresses.empty()) return "nothing";
  std::string out;
  for (const auto& address : addresses) out += (out.empty() ? "" : ", ") + address;
  return out;
}

struct PurposeWords {
  const char* done;
  const char* failed;
  const char* what;
};

PurposeWords words_for(RepublishPurpose purpose) {
  switch (purpose) {
    case RepublishPurpose::sync: return {"dns_synced", "dns_sync_failed", "the active's observed address"};
    case RepublishPurpose::repair: return {"dns_repaired", "dns_repair_failed", "the active's address again"};
    case RepublishPurpose::publish: break;
  }
  return {"dns_published", "dns_publish_failed", "the active's address"};
}

}  // namespace

std::string_view to_string(RecordState state) {
  switch (state) {
    case RecordState::matches: return "matches";
    case RecordState::mismatch: return "mismatch";
    case RecordState::unknown: break;
  }
  return "unknown";
}

std::string DecisionEngine::expected_address(const Pool& p) const {
  if (!p.active) return p.published_ip;
  const auto it = members_.find(*p.active);
  return it == members_.end() ? p.published_ip : publish_address(p, it->second);
}

// Called while the active is healthy and no switch is under way.
void DecisionEngine::consider_record(Pool& p, const Member& active, std::int64_t now, Actions& out) {
  if (!p.s.has_dns) return;
  const std::string desired = publish_address(p, active);
  if (p.republish) {
    if (p.republish->ipv4 == desired || p.republish->in_flight) {
      drive_republish(p, now, out);
      return;
    }
    p.republish.reset();  // the active's address changed meanwhile
  }
  if (desired.empty()) return;
  // The active's address is not what was published: dns-sync saw it move, or the active changed without
  // a switch (the first member to enrol after the pool lost its active). Not for a record that was never
  // published through this binding (--no-publish).
  if (desired != p.published_ip && (p.s.dns_sync || !p.published_ip.empty())) {
    start_republish(p, desired, p.s.dns_sync ? Purpose::sync : Purpose::publish, "system", now, out);
    return;
  }
  schedule_record_check(p, now, out);
  if (p.record && p.record->state == RecordState::mismatch && p.s.dns_repair && !p.published_ip.empty()) {
    start_republish(p, desired, Purpose::repair, "system", now, out);
  }
}

void DecisionEngine::schedule_record_check(Pool& p, std::int64_t now, Actions& out) {
  if (p.next_record_check == kNever) {
    const auto spread = std::min(p.s.record_check_ms, kFirstCheckSpreadMs);
    p.next_record_check = now + (spread > 0 ? (p.s.id * 7919) % spread : 0);
  }
  if (p.record_check_in_flight || now < p.next_record_check) return;
  p.record_check_in_flight = true;
  p.next_record_check = now + p.s.record_check_ms;
  out.emplace_back(CheckRecord{p.s.id, p.record_epoch, p.s.hostname});
}

Actions DecisionEngine::on_record_observed(std::int64_t pool_id, std::int64_t epoch,
                                           const Result<std::vector<std::string>>& answer, std::int64_t now) {
  Actions out;
  const auto it = pools_.find(pool_id);
  if (it == pools_.end()) return out;
  Pool& p = it->second;
  if (epoch != 0) p.record_check_in_flight = false;
  // A read that started before the record last changed, or while a change is under way, says nothing.
  if ((epoch != 0 && epoch != p.record_epoch) || p.switching || (p.republish && p.republish->in_flight)) return out;
  if (!answer || !p.s.has_dns) return out;
  const std::string expected = expected_address(p);
  if (expected.empty()) return out;
  if (!p.record) p.record = std::make_unique<RecordCheck>();
  RecordCheck& r = *p.record;
  r.answers = *answer;
  r.checked_at = now;
  if (r.answers == std::vector<std::string>{expected}) {
    if (r.drift_noted) {
      event(out, p, "dns_drift_resolved", name_of(p.active), "system",
            p.s.hostname + " answers the active's address " + expected + " again");
    }
    r.state = RecordState::matches;
    r.drift_noted = false;
    if (p.published_ip != expected) {
      p.published_ip = expected;
      persist_state(p, out);
    }
  } else {
    r.state = RecordState::mismatch;
    if (!r.drift_noted) {
      const bool repairs = p.s.dns_repair && !p.published_ip.empty();
      const std::string what = p.published_ip.empty()
                                   ? "; balctl has not published it through this binding, so it is left alone "
                                     "until a failover or 'balctl failover " + p.s.name + " --to " +
                                         name_of(p.active) + "'"
                                   : (repairs ? "; repairing" : "; repair is off ('balctl pool set " + p.s.name +
                                                                    " --dns-repair on')");
      event(out, p, "dns_drift", name_of(p.active), "system",
            p.s.hostname + " answers " + list(r.answers) + ", not " + expected + " (the active " +
                name_of(p.active) + ")" + what);
      r.drift_noted = true;
    }
  }
  evaluate(p, now, out);
  return out;
}

void DecisionEngine::record_published(Pool& p, const std::string& address, std::int64_t now) {
  p.published_ip = address;
  ++p.record_epoch;
  if (!p.record) p.record = std::make_unique<RecordCheck>();
  p.record->state = RecordState::matches;
  p.record->answers = {address};
  p.record->checked_at = now;
  p.record->drift_noted = false;
  p.next_record_check = now + p.s.record_check_ms;
}

void DecisionEngine::start_republish(Pool& p, const std::string& address, Purpose purpose, const std::string& actor,
                                     std::int64_t now, Actions& out) {
  p.republish = std::make_unique<Republish>(Republish{next_id_++, address, purpose, actor, false, 0, now});
  ++p.record_epoch;
  drive_republish(p, now, out);
}

void DecisionEngine::drive_republish(Pool& p, std::int64_t now, Actions& out) {
  Republish& r = *p.republish;
  if (r.in_flight || now < r.next_attempt) return;
  r.in_flight = true;
  ++r.attempts;
  out.emplace_back(ApplyDns{p.s.id, r.attempt_id, p.s.hostname, r.ipv4, p.s.ttl_s});
}

void DecisionEngine::finish_republish(Pool& p, const Status& result, std::int64_t now, Actions& out) {
  Republish& r = *p.republish;
  r.in_flight = false;
  const auto words = words_for(r.purpose);
  if (result) {
    event(out, p, words.done, name_of(p.active), r.actor,
          p.s.hostname + " now points at " + words.what + ", verified at the authority: " + r.ipv4);
    record_published(p, r.ipv4, now);
    p.republish.reset();
    persist_state(p, out);  // what was published survives a restart (repair after a restart needs it)
    return;
  }
  r.next_attempt = now + retry_delay(r.attempts);
  event(out, p, words.failed, name_of(p.active), r.actor,
        "could not point " + p.s.hostname + " at " + r.ipv4 + ", attempt " + std::to_string(r.attempts) + ": " +
            result.error().message + "; retrying in " + seconds(r.next_attempt - now));
}

Result<Plan> DecisionEngine::publish(std::int64_t pool_id, const std::string& actor, std::int64_t now, Actions& out) {
  const auto it = pools_.find(pool_id);
  if (it == pools_.end()) return Error::not_found("pool_not_found", "no such pool");
  Pool& p = it->second;
  if (!p.s.has_dns) return Error::conflict("dns_not_configured", "the pool has no DNS provider");
  if (p.switching) {
    return Plan{"a failover to " + name_of(p.switching->target) + " is under way; it publishes that address", p.active};
  }
  if (!p.active) return Plan{"no active member yet: the record is published when a member becomes active", {}};
  const Member& active = members_.at(*p.active);
  if (!healthy(active, p, now)) {
    const std::string why =
        active.last_heartbeat == kNever ? "it has not reported yet" : unready_reason(active, p, now);
    return Plan{"not publishing now: the active " + active.s.hostname + " is not healthy (" +
                    (why.empty() ? "HAProxy not running" : why) + "); failover decides where the record goes",
                p.active};
  }
  const std::string address = publish_address(p, active);
  if (address.empty()) return Plan{"not publishing: the active has no observed address yet (dns-sync)", p.active};
  start_republish(p, address, Purpose::publish, actor, now, out);
  return Plan{"publishing " + address + " (" + active.s.hostname + ", the active member) and verifying it", p.active};
}

}  // namespace balctl::failover
