# Every dependency is a Debian 12 package installed by scripts/setup.sh; nothing is downloaded at build time.
find_package(Boost 1.81 REQUIRED COMPONENTS json url)
find_package(OpenSSL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(CURL REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(CLI11 REQUIRED)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
pkg_check_modules(LDNS REQUIRED IMPORTED_TARGET ldns)
pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
# Linking this replaces malloc for the whole executable (src/common/heap.hpp). No symbol is referenced by
# name (only weakly, common/heap.cpp), hence --no-as-needed. Sanitizer builds bring their own malloc.
add_library(balctl_jemalloc INTERFACE)
if(NOT BALCTL_SANITIZE AND NOT BALCTL_FUZZ)
  target_link_libraries(balctl_jemalloc INTERFACE "-Wl,--push-state,--no-as-needed" PkgConfig::JEMALLOC
                        "-Wl,--pop-state")
endif()
