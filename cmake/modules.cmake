# The control plane's modules: one folder src/server/<module>/ each, built as the STATIC library
# balctl_server_<module>. This table is the one place that says which modules a module may include
# (`#include "server/<other>/..."`); it both links the targets and feeds cmake/check_module_deps.py, which
# fails configure (and the build, and the ctest unit_module_graph) when a source includes a module not
# listed here for it, or when the listed graph has a cycle. Lower modules first; a module lists exactly
# the modules its sources include, nothing transitive. docs/development/build.md explains how to extend it.
set(BALCTL_SERVER_MODULES
  store      # SQLite persistence, records
  events     # event log and throttles
  auth       # admin tokens, secret box, job-signing key
  dns        # DNS providers and bindings
  alerts     # alert channels, senders, dispatcher
  fleet      # member registry, pool/member specs, enrollment keys
  liveness   # in-memory last-seen, heartbeat service, persister
  inventory  # pools and members as the admin API and enrolment see them: fleet + liveness
  failover   # decision engine, DNS executor, probes
  http       # listener, sessions, router, TLS
  api        # route handlers and views
  app        # `balctl serve`: options, wiring, lifecycle
)
set(BALCTL_SERVER_DEPS_store)
set(BALCTL_SERVER_DEPS_events store)
set(BALCTL_SERVER_DEPS_auth events store)
set(BALCTL_SERVER_DEPS_dns auth events store)
set(BALCTL_SERVER_DEPS_alerts auth events store)
set(BALCTL_SERVER_DEPS_fleet store)
set(BALCTL_SERVER_DEPS_liveness events fleet store)
set(BALCTL_SERVER_DEPS_inventory events fleet liveness store)
set(BALCTL_SERVER_DEPS_failover dns events fleet liveness store)
set(BALCTL_SERVER_DEPS_http)
set(BALCTL_SERVER_DEPS_api alerts auth dns events failover fleet http inventory liveness store)
set(BALCTL_SERVER_DEPS_app alerts api auth dns events failover fleet http inventory liveness store)

# balctl_server_module(NAME SOURCES...): the module's library, linked to balctl_core and to the modules
# the table lists for it. System libraries are the module's own CMakeLists' business (PRIVATE unless a
# header of the module includes them).
function(balctl_server_module name)
  if(NOT name IN_LIST BALCTL_SERVER_MODULES)
    message(FATAL_ERROR "server module '${name}' is not declared in cmake/modules.cmake")
  endif()
  set(target balctl_server_${name})
  add_library(${target} STATIC ${ARGN})
  set(deps)
  foreach(dep IN LISTS BALCTL_SERVER_DEPS_${name})
    list(APPEND deps balctl_server_${dep})
  endforeach()
  target_link_libraries(${target} PUBLIC balctl_core ${deps} PRIVATE balctl_warnings)
  # Sources are checked again whenever one changes (see balctl_check_server_modules).
  add_dependencies(${target} balctl_module_graph_check)
endfunction()

# Writes the table as JSON for the checker and runs it once now; a violation stops configure. The same
# check runs as a build step (any edit of a server source re-runs it before the modules compile) and as
# the ctest unit_module_graph.
function(balctl_check_server_modules)
  set(root ${PROJECT_SOURCE_DIR}/src/server)
  set(table ${CMAKE_BINARY_DIR}/server_modules.json)
  set(json "{")
  set(separator "")
  foreach(module IN LISTS BALCTL_SERVER_MODULES)
    set(deps "")
    set(dep_separator "")
    foreach(dep IN LISTS BALCTL_SERVER_DEPS_${module})
      string(APPEND deps "${dep_separator}\"${dep}\"")
      set(dep_separator ", ")
    endforeach()
    string(APPEND json "${separator}\n  \"${module}\": [${deps}]")
    set(separator ",")
  endforeach()
  string(APPEND json "\n}\n")
  file(CONFIGURE OUTPUT ${table} CONTENT "${json}")

  find_program(BALCTL_CHECK_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
  if(NOT BALCTL_CHECK_PYTHON)
    find_package(Python3 REQUIRED COMPONENTS Interpreter)
    set(BALCTL_CHECK_PYTHON ${Python3_EXECUTABLE} CACHE FILEPATH "python3 for the module graph check")
  endif()
  set(command ${BALCTL_CHECK_PYTHON} ${PROJECT_SOURCE_DIR}/cmake/check_module_deps.py --table ${table}
      --root ${root})
  execute_process(COMMAND ${command} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "module graph check failed (cmake/modules.cmake):\n${out}")
  endif()

  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${root}/*.hpp ${root}/*.cpp ${root}/*.in)
  set(stamp ${CMAKE_BINARY_DIR}/server_modules.checked)
  add_custom_command(OUTPUT ${stamp}
                     COMMAND ${command}
                     COMMAND ${CMAKE_COMMAND} -E touch ${stamp}
                     DEPENDS ${sources} ${table} ${PROJECT_SOURCE_DIR}/cmake/check_module_deps.py
                     COMMENT "Checking the server module graph (cmake/modules.cmake)"
                     VERBATIM)
  add_custom_target(balctl_module_graph_check DEPENDS ${stamp})
  set(BALCTL_MODULE_CHECK_COMMAND ${command} PARENT_SCOPE)
endfunction()
