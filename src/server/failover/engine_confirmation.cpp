// Confirmation of a silent active: rounds of probes from the control plane and the healthy standbys to
// the active's frontend ports, and the verdict that decides whether silence means "down".
//
// A round is judged once every vantage point has answered or its deadline has passed, never earlier
// unless the answers already in settle it. A vantage point that did not answer is left out of the count:
// it is not a vote for "down" (a standby with a slow link would otherwise vote the active out). The
// verdict of the last judged round holds while the next round collects its answers; a round in which
// nobody answered changes nothing. Ties count as reachable: moving the record on a split verdict trades a
// certain disruption for an uncertain one.
#include "server/failover/decision_engine.hpp"

#include <algorithm>

#include "server/failover/engine_support.hpp"

namespace balctl::failover {
namespace {

using detail::seconds;

// Time for a standby's vote besides the probe itself: its next heartbeat picks up the task (up to one
// interval), and the heartbeat it sends at once with the result needs a round trip (allow another).
constexpr std::int64_t kVoteMarginMs = 250;

std::string count_of(int part, int whole, const char* what) {
  return std::to_string(part) + " of " + std::to_string(whole) + " " + what;
}

}  // namespace

void DecisionEngine::judge_silent_active(Pool& p, const Member& active, std::int64_t now, Actions& out) {
  const std::string why = active.last_heartbeat == kNever
                              ? "the active has never reported since it enrolled"
                              : "no heartbeat from the active for " + seconds(now - active.last_heartbeat);
  if (p.s.probe_ports.empty()) {
    fail_over(p, why, now, out);
    return;
  }
  advance_confirmation(p, active, now, out);
  const Confirmation& c = *p.confirming;
  if (c.verdict == Verdict::unreachable) {
    fail_over(p, why + "; the service is " + c.verdict_detail, now, out);
    return;
  }
  if (c.verdict == Verdict::reachable && !p.lost_contact_noted) {
    event(out, p, "lost_contact_reachable", active.s.hostname, "system",
          "control plane lost contact with " + active.s.hostname + ", service still " + c.verdict_detail +
              "; not failing over, probing on");
    p.lost_contact_noted = true;
    p.lost_contact_since = now;
  }
  // Verdict::unknown: the first round is still collecting its answers.
}

// Keeps rounds going while the active is overdue: judges the current one when it is complete and starts
// the next one when the current one has been judged and is old enough (back to back while no verdict).
void DecisionEngine::advance_confirmation(Pool& p, const Member& active, std::int64_t now, Actions& out) {
  if (!p.confirming) {
    start_round(p, active, now, out);
    return;
  }
  Confirmation& c = *p.confirming;
  if (!c.round.judged && round_complete(p, now)) judge_round(p);
  if (!c.round.judged) return;
  // Re-check a held verdict about every half delay (at least 2 s): the service may fail later while its
  // agent stays silent, and that must be seen well within a delay.
  const std::int64_t recheck_ms = std::max<std::int64_t>(p.s.delay_ms / 2, 2000);
  if (c.verdict == Verdict::unknown || now - c.round.started >= recheck_ms) start_round(p, active, now, out);
}

void DecisionEngine::start_round(Pool& p, const Member& active, std::int64_t now, Actions& out) {
  if (!p.confirming) p.confirming = std::make_unique<Confirmation>();
  ProbeRound round;
  round.probe_id = next_id_++;
  round.started = now;
  for (const auto id : member_ids(p.s.id)) {
    if (id != active.s.id && healthy(members_.at(id), p, now)) round.asked.insert(id);
  }
  const ProbePlan plan = probe_plan_for(p.s.delay_ms);
  const auto ports = static_cast<std::int64_t>(p.s.probe_ports.size());
  round.deadline = now + 2 * p.s.interval_ms + ports * plan.budget_ms() + kVoteMarginMs;
  out.emplace_back(ProbeRequest{p.s.id, round.probe_id, active.s.ipv4, p.s.probe_ports,
                                std::vector<std::int64_t>(round.asked.begin(), round.asked.end()), plan});
  p.confirming->round = std::move(round);
}

// Complete: everyone answered, the deadline passed, or the answers in already decide the majority of
// answers whatever the missing ones would say (for "reachable": a majority of everyone asked, so that an
// early reachable verdict does not leave the standbys out of the count).
bool DecisionEngine::round_complete(const Pool& p, std::int64_t now) const {
  const ProbeRound& r = p.confirming->round;
  const int voters = 1 + static_cast<int>(r.asked.size());
  const int heard = static_cast<int>(r.voted.size());
  return heard == voters || now >= r.deadline || r.unreachable * 2 > voters || r.reachable * 2 > voters;
}

void DecisionEngine::judge_round(Pool& p) {
  Confirmation& c = *p.confirming;
  ProbeRound& r = c.round;
  r.judged = true;
  const int voters = 1 + static_cast<int>(r.asked.size());
  const int heard = r.reachable + r.unreachable;
  if (heard == 0) return;  // nobody answered: the last verdict holds
  const std::string missing =
      heard < voters ? " (" + std::to_string(voters - heard) + " did not answer)" : std::string();
  if (r.unreachable * 2 > heard) {
    c.verdict = Verdict::unreachable;
    c.verdict_detail = "unreachable from " + count_of(r.unreachable, heard, "vantage points that answered") + missing;
  } else {
    c.verdict = Verdict::reachable;
    c.verdict_detail = "reachable from " + count_of(r.reachable, heard, "vantage points that answered") + missing;
  }
}

Actions DecisionEngine::on_probe_vote(std::int64_t pool_id, const ProbeVote& vote, std::int64_t now) {
  Actions out;
  const auto it = pools_.find(pool_id);
  if (it == pools_.end() || !it->second.confirming) return out;
  auto& r = it->second.confirming->round;
  if (vote.probe_id != r.probe_id || r.judged || r.voted.count(vote.voter_member_id) != 0) return out;
  if (vote.voter_member_id != 0 && r.asked.count(vote.voter_member_id) == 0) return out;
  r.voted.insert(vote.voter_member_id);
  (vote.reachable ? r.reachable : r.unreachable) += 1;
  evaluate(it->second, now, out);
  return out;
}

}  // namespace balctl::failover
