// The events liveness raises, worded in one place: the heartbeat service raises haproxy_state (written
// before the heartbeat is answered), the persister member_online and member_offline (written in the batch
// with the state they describe).
#pragma once

#include "common/protocol.hpp"
#include "server/fleet/registry.hpp"
#include "server/liveness/liveness_table.hpp"
#include "server/store/records.hpp"

namespace balctl::liveness {

store::EventRecord came_online_event(const CameOnline& came, const fleet::MemberContext& context);
store::EventRecord went_offline_event(const WentOffline& went, const fleet::MemberContext& context);
store::EventRecord haproxy_changed_event(const fleet::MemberContext& context, protocol::HaproxyState from,
                                         protocol::HaproxyState to);

}  // namespace balctl::liveness
