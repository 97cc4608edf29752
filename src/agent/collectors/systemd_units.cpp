#include "agent/collectors/systemd_units.hpp"

#include <array>
#include <cstdlib>
#include <cstring>
#include <unistd.h>

#include <systemd/sd-bus.h>
#include <systemd/sd-daemon.h>

namespace balctl::agent::collectors {
namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kDestination = "org.freedesktop.systemd1";
constexpr const char* kPrivateSocket = "unix:path=/run/systemd/private";

Error bus_error(const std::string& what) {
  return Error{Errc::unavailable, "systemd_unavailable", "systemd D-Bus: " + what, {}};
}

// One org.freedesktop.DBus.Properties.Get call in flight, and what came back.
struct PropertyCall {
  const char* interface = nullptr;
  const char* property = nullptr;
  char type = 's';  // 's' or 'u'
  bool done = false;
  std::string error;  // empty on success
  std::string text;
  std::uint32_t number = 0;
};

// The reply of Get is one variant holding the value; anything else is an error, not a crash.
int on_reply(sd_bus_message* reply, void* userdata, sd_bus_error* /*unused*/) {
  auto& call = *static_cast<PropertyCall*>(userdata);
  call.done = true;
  if (sd_bus_message_is_method_error(reply, nullptr) > 0) {
    const sd_bus_error* error = sd_bus_message_get_error(reply);
    call.error = error != nullptr && error->message != nullptr ? error->message : "error reply";
    return 0;
  }
  const char signature[2] = {call.type, '\0'};
  int rc = sd_bus_message_enter_container(reply, 'v', signature);
  if (rc > 0 && call.type == 's') {
    const char* text = nullptr;
    rc = sd_bus_message_read_basic(reply, 's', &text);
    if (rc > 0 && text != nullptr) call.text = text;
  } else if (rc > 0) {
    rc = sd_bus_message_read_basic(reply, 'u', &call.number);
  }
  if (rc <= 0) call.error = std::string("unexpected reply type for ") + call.property;
  return 0;
}

}  // namespace

struct SystemdClient::Bus {
  sd_bus* bus = nullptr;
  std::string unit;       // the unit whose object path is cached
  std::string unit_path;  // /org/freedesktop/systemd1/unit/haproxy_2eservice
  // No flush: flushing waits for the connection to come up, which on a hung peer takes sd-bus's 90 s
  // authentication timeout.
  ~Bus() {
    sd_bus_close(bus);
    sd_bus_unref(bus);
  }
};

SystemdClient::SystemdClient(std::string address, std::chrono::milliseconds call_timeout)
    : address_(std::move(address)), call_timeout_(call_timeout) {}

SystemdClient::~SystemdClient() = default;

bool SystemdClient::systemd_booted() {
  return sd_booted() > 0;
}

Status SystemdClient::connect() {
  auto bus = std::make_unique<Bus>();
  // A direct connection (systemd's private socket, or a fake in tests) is peer-to-peer: no Hello and no
  // bus daemon in between. sd_bus_start() only connects; authentication runs inside our deadline below.
  const auto open_direct = [&](const std::string& address) -> int {
    sd_bus* raw = nullptr;
    int rc = sd_bus_new(&raw);
    if (rc < 0) return rc;
    rc = sd_bus_set_address(raw, address.c_str());
    if (rc >= 0) rc = sd_bus_start(raw);
    if (rc < 0) {
      sd_bus_unref(raw);
      return rc;
    }
    bus->bus = raw;
    return 0;
  };
  int rc = -ENOENT;
  if (!address_.empty()) {
    rc = open_direct(address_);
  } else {
    if (::geteuid() == 0) rc = open_direct(kPrivateSocket);  // as systemctl does when root
    if (rc < 0) rc = sd_bus_open_system(&bus->bus);
  }
  if (rc < 0) return bus_error(std::string("cannot connect: ") + std::strerror(-rc));
  bus_ = std::move(bus);
  return {};
}

Result<UnitState> SystemdClient::unit_state(const std::string& unit, bool with_main_pid) {
  const auto deadline = Clock::now() + call_timeout_;
  if (!bus_) {
    if (auto connected = connect(); !connected) return connected.error();
  }
  if (bus_->unit != unit) {
    char* path = nullptr;
    if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit.c_str(), &path) < 0) {
      return bus_error("bad unit name " + unit);
    }
    bus_->unit = unit;
    bus_->unit_path = path;
    std::free(path);  // NOLINT(cppcoreguidelines-no-malloc): sd-bus allocates with malloc
  }

  // All Get calls go out at once and are answered in one round trip. systemd loads a unit on demand
  // when its object is accessed, so a missing unit answers LoadState=not-found, not an error.
  std::array<PropertyCall, 3> calls{{{"org.freedesktop.systemd1.Unit", "LoadState", 's'},
                                     {"org.freedesktop.systemd1.Unit", "ActiveState", 's'},
                                     {"org.freedesktop.systemd1.Service", "MainPID", 'u'}}};
  const std::size_t count = with_main_pid ? 3 : 2;
  const auto fail = [this](const std::string& why) -> Result<UnitState> {
    bus_.reset();  // unknown state (or systemd re-executed): connect afresh next time
    return bus_error(why);
  };
  for (std::size_t i = 0; i < count; ++i) {
    const int rc = sd_bus_call_method_async(bus_->bus, nullptr, kDestination, bus_->unit_path.c_str(),
                                            "org.freedesktop.DBus.Properties", "Get", on_reply, &calls[i],
                                            "ss", calls[i].interface, calls[i].property);
    if (rc < 0) return fail(std::string("cannot send: ") + std::strerror(-rc));
  }
  const auto all_done = [&] {
    for (std::size_t i = 0; i < count; ++i) {
      if (!calls[i].done) return false;
    }
    return true;
  };
  // Our own loop rather than sd_bus_call(): sd-bus's call timeout does not cover authentication, which
  // on a peer that accepted but hangs would take 90 s.
  while (!all_done()) {
    const int rc = sd_bus_process(bus_->bus, nullptr);
    if (rc < 0) return fail(std::string("connection lost: ") + std::strerror(-rc));
    if (rc > 0) continue;
    const auto left = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now()).count();
    if (left <= 0) return fail("no answer within " + std::to_string(call_timeout_.count()) + " ms");
    if (sd_bus_wait(bus_->bus, static_cast<std::uint64_t>(left)) < 0) return fail("connection lost");
  }
  for (std::size_t i = 0; i < 2; ++i) {
    if (!calls[i].error.empty())
      return fail(std::string("reading ") + calls[i].property + ": " + calls[i].error);
  }
  // A unit that is not a service has no MainPID: that is an answer (0), not a failure.
  return UnitState{calls[0].text, calls[1].text,
                   with_main_pid && calls[2].error.empty() ? calls[2].number : 0};
}

}  // namespace balctl::agent::collectors
