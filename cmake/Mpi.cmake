# Open MPI for data-parallel training, in both builds:
#   EDGETRAIN_MPI         cache option: AUTO (use it if found), ON (configure fails without it), OFF
#   EDGETRAIN_HAVE_MPI    ON when Open MPI's headers and libmpi are found (and EDGETRAIN_MPI is not OFF)
#   edgetrain::mpi        imported target: mpi.h's include directory + libmpi
#   EDGETRAIN_MPI_TESTS   ON when, besides, the host has an mpirun of the same Open MPI release
#   EDGETRAIN_MPIRUN      the host's Open MPI mpirun (the pi3 build starts aarch64 ranks with it too)
#   EDGETRAIN_MPIRUN_FLAGS the flags every test's mpirun gets (below: root, no binding, loopback TCP)
#   edgetrain_add_mpi_test(NAME <name> RANKS <n> COMMAND <target|program> [args...]
#                          [TIMEOUT <s>] [ENVIRONMENT VAR=value...] [MPIRUN_ARGS ...] [WRAPPER ...])
#
# Not FindMPI: it asks the mpicc wrapper (--showme), and in the pi3 build the only mpicc is the
# host's amd64 one. Debian's layout is the same for both architectures, and the arm64 sysroot
# (toolchains/make-sysroot.sh) holds it unpacked with dpkg -x: mpi.h in
# usr/lib/<arch>/openmpi/include, libmpi.so in usr/lib/<arch>/openmpi/lib (-> ../../libmpi.so.40).
# The /usr/include/<arch>/mpi and /usr/lib/<arch>/libmpi.so links are alternatives made by the
# -dev package's postinst, which dpkg -x never runs (and on the host they may name MPICH), so the
# search looks in the openmpi folders first. In the pi3 build the toolchain file re-roots these
# absolute hints into the sysroot.

set(EDGETRAIN_MPI AUTO CACHE STRING "Open MPI for data-parallel training: AUTO, ON (required) or OFF")
set_property(CACHE EDGETRAIN_MPI PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${EDGETRAIN_MPI}" _edgetrain_mpi_mode)
if(NOT _edgetrain_mpi_mode MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "EDGETRAIN_MPI is '${EDGETRAIN_MPI}': use AUTO, ON or OFF")
endif()

set(EDGETRAIN_HAVE_MPI OFF)
set(EDGETRAIN_MPIRUN_FLAGS)

# _edgetrain_mpi_missing(<what> <why>): ON fails configure, AUTO says what is left out and why.
macro(_edgetrain_mpi_missing what why)
  if(_edgetrain_mpi_mode STREQUAL "ON")
    message(FATAL_ERROR "EDGETRAIN_MPI=ON but ${why}")
  endif()
  message(STATUS "Open MPI: ${what} (${why})")
endmacro()

if(_edgetrain_mpi_mode STREQUAL "OFF")
  message(STATUS "Open MPI: off (EDGETRAIN_MPI=OFF)")
else()
  if(CMAKE_CROSSCOMPILING)
    set(_edgetrain_mpi_fix "rerun `toolchains/make-sysroot.sh ${EDGETRAIN_SYSROOT}` (as root): it unpacks libopenmpi-dev:arm64")
  else()
    set(_edgetrain_mpi_fix "run `toolchains/install-deps.sh` (as root): it installs libopenmpi-dev and openmpi-bin")
  endif()
  set(_edgetrain_openmpi "/usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openmpi")
  find_path(EDGETRAIN_MPI_INCLUDE_DIR mpi.h HINTS "${_edgetrain_openmpi}/include" PATH_SUFFIXES openmpi)
  find_library(EDGETRAIN_MPI_LIBRARY mpi HINTS "${_edgetrain_openmpi}/lib")
  set(_edgetrain_mpi_version)
  if(EXISTS "${EDGETRAIN_MPI_INCLUDE_DIR}/mpi.h")
    file(STRINGS "${EDGETRAIN_MPI_INCLUDE_DIR}/mpi.h" _edgetrain_mpi_defines
         REGEX "^#define (OPEN_MPI|OMPI_(MAJOR|MINOR|RELEASE)_VERSION) ")
    string(REGEX REPLACE ".*OMPI_MAJOR_VERSION ([0-9]+).*OMPI_MINOR_VERSION ([0-9]+).*OMPI_RELEASE_VERSION ([0-9]+).*"
           "\\1.\\2.\\3" _edgetrain_mpi_version "${_edgetrain_mpi_defines}")
    if(NOT _edgetrain_mpi_defines MATCHES "OPEN_MPI 1" OR NOT _edgetrain_mpi_version MATCHES "^[0-9]+\\.[0-9]+\\.[0-9]+$")
      set(_edgetrain_mpi_version)
    endif()
  endif()

  if(NOT EXISTS "${EDGETRAIN_MPI_INCLUDE_DIR}/mpi.h" OR NOT EDGETRAIN_MPI_LIBRARY)
    _edgetrain_mpi_missing("not used" "Open MPI's mpi.h or libmpi was not found: ${_edgetrain_mpi_fix}")
  elseif(NOT _edgetrain_mpi_version)
    _edgetrain_mpi_missing("not used" "${EDGETRAIN_MPI_INCLUDE_DIR}/mpi.h is not Open MPI's (no OPEN_MPI, OMPI_*_VERSION)")
  else()
    set(EDGETRAIN_HAVE_MPI ON)
  endif()
endif()

if(EDGETRAIN_HAVE_MPI AND NOT TARGET edgetrain::mpi)
  add_library(edgetrain::mpi SHARED IMPORTED GLOBAL)
  set_target_properties(edgetrain::mpi PROPERTIES
    IMPORTED_LOCATION "${EDGETRAIN_MPI_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${EDGETRAIN_MPI_INCLUDE_DIR}"
    # The C API only: mpi.h in C++ otherwise declares the MPI-2 C++ bindings (deprecated,
    # removed in MPI-3), whose symbols live in libmpi_cxx.
    INTERFACE_COMPILE_DEFINITIONS OMPI_SKIP_MPICXX=1)
  if(CMAKE_CROSSCOMPILING AND EDGETRAIN_SYSROOT)
    # libopen-rte needs libz.so.1 and libhwloc libudev.so.1, which Debian puts in lib/, not usr/lib/
    # (the toolchain file's -rpath-link). Only the link looks there; the compiler's libc stays the
    # one linked, since a NEEDED libc.so.6 is already satisfied by it.
    set_property(TARGET edgetrain::mpi PROPERTY INTERFACE_LINK_OPTIONS
                 "-Wl,-rpath-link,${EDGETRAIN_SYSROOT}/lib/${CMAKE_LIBRARY_ARCHITECTURE}")
  endif()
endif()

# The launcher: always the host's Open MPI mpirun (Debian: mpirun.openmpi, whatever the mpirun
# alternative names). In the pi3 build it starts `qemu-aarch64 ... <binary>` per rank; each rank's
# arm64 libmpi reaches the host's orted over PMIx, so the two must be the same Open MPI release.
set(EDGETRAIN_MPI_TESTS OFF)
if(EDGETRAIN_HAVE_MPI)
  find_program(EDGETRAIN_MPIRUN NAMES mpirun.openmpi mpirun NO_CMAKE_FIND_ROOT_PATH)
  set(_edgetrain_mpirun_version)
  if(EDGETRAIN_MPIRUN)
    execute_process(COMMAND "${EDGETRAIN_MPIRUN}" --version OUTPUT_VARIABLE _edgetrain_mpirun_out
                    ERROR_QUIET RESULT_VARIABLE _edgetrain_mpirun_rc)
    if(_edgetrain_mpirun_rc EQUAL 0 AND _edgetrain_mpirun_out MATCHES "\\((Open MPI|OpenRTE)\\) ([0-9]+\\.[0-9]+\\.[0-9]+)")
      # "mpirun (Open MPI) 4.1.4", or "(OpenRTE)" when started as mpirun.openmpi (orterun)
      set(_edgetrain_mpirun_version "${CMAKE_MATCH_2}")
    endif()
  endif()
  string(REGEX MATCH "^[0-9]+\\.[0-9]+" _edgetrain_mpi_series "${_edgetrain_mpi_version}")
  string(REGEX MATCH "^[0-9]+\\.[0-9]+" _edgetrain_mpirun_series "${_edgetrain_mpirun_version}")
  if(NOT EDGETRAIN_MPIRUN)
    _edgetrain_mpi_missing("no MPI tests" "no mpirun for the MPI tests: run `toolchains/install-deps.sh` (as root): it installs openmpi-bin")
  elseif(NOT _edgetrain_mpirun_version)
    _edgetrain_mpi_missing("no MPI tests" "${EDGETRAIN_MPIRUN} is not Open MPI's mpirun (`--version` names no Open MPI release)")
  elseif(NOT _edgetrain_mpirun_series STREQUAL _edgetrain_mpi_series)
    _edgetrain_mpi_missing("no MPI tests" "${EDGETRAIN_MPIRUN} is Open MPI ${_edgetrain_mpirun_version}, the library ${_edgetrain_mpi_version}: ranks could not talk to its orted")
  else()
    set(EDGETRAIN_MPI_TESTS ON)
    message(STATUS "Open MPI ${_edgetrain_mpi_version}: ${EDGETRAIN_MPI_LIBRARY}, tests through ${EDGETRAIN_MPIRUN}")
  endif()
  # One host, in a container, as root: --allow-run-as-root (CI runs as root); --oversubscribe
  # (more ranks than cores); --bind-to none (binding two ranks to one of 2 cores serializes them,
  # and hwloc under QEMU sees the host's cores); pml ob1 over btl self,tcp on lo only: TCP is what
  # Pis use between boards, and shared memory (vader) breaks under qemu-user, whose
  # process_vm_readv is ENOSYS ("Read -1, expected 8388608, errno = 38" per large message); UCX,
  # libfabric and openib are never opened, so nothing warns about missing hardware or, in the pi3
  # sysroot, missing libraries; osc ^ucx for the same reason; the out-of-band channel to orted on
  # lo too; stdin to no rank (ctest's stdin may be a terminal).
  set(EDGETRAIN_MPIRUN_FLAGS --allow-run-as-root --oversubscribe --bind-to none --stdin none
      --mca pml ob1 --mca btl self,tcp --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo
      --mca osc ^ucx)
endif()

# edgetrain_add_mpi_test(NAME <name> RANKS <n> COMMAND <target|program> [args...] [TIMEOUT <s>]
#                        [ENVIRONMENT VAR=value...] [MPIRUN_ARGS <flag>...] [WRAPPER <cmd>...])
# A ctest test running `[WRAPPER...] mpirun <EDGETRAIN_MPIRUN_FLAGS> --timeout <s> [MPIRUN_ARGS...]
# -np <n> [emulator...] <binary> [args...]`; in the pi3 build the emulator is
# CMAKE_CROSSCOMPILING_EMULATOR, so each rank is an aarch64 process under qemu-aarch64. TIMEOUT
# (default 60 s) is mpirun's own --timeout, which ends every rank of a job that is still running
# then (a rank stuck in a collective never exits by itself); ctest's TIMEOUT is 15 s longer, a
# backstop. ENVIRONMENT reaches every rank: mpirun passes its environment to the ranks it starts
# on this host. WRAPPER is a command the mpirun command line is appended to (e.g.
# tests/mpi/expect-abort.sh). Nothing is registered when EDGETRAIN_MPI_TESTS is OFF. Label: mpi.
function(edgetrain_add_mpi_test)
  cmake_parse_arguments(ARG "" "NAME;RANKS;TIMEOUT" "COMMAND;ENVIRONMENT;MPIRUN_ARGS;WRAPPER" ${ARGN})
  if(ARG_UNPARSED_ARGUMENTS OR NOT ARG_NAME OR NOT ARG_RANKS MATCHES "^[1-9][0-9]*$" OR NOT ARG_COMMAND)
    message(FATAL_ERROR "usage: edgetrain_add_mpi_test(NAME <name> RANKS <n> COMMAND <target> [args...] "
                        "[TIMEOUT <s>] [ENVIRONMENT VAR=value...] [MPIRUN_ARGS ...] [WRAPPER ...]) "
                        "(got: ${ARGV})")
  endif()
  if(NOT EDGETRAIN_MPI_TESTS)
    return()
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 60)
  endif()
  list(POP_FRONT ARG_COMMAND program)
  if(TARGET ${program})
    set(program "$<TARGET_FILE:${program}>")
  endif()
  set(env ${ARG_ENVIRONMENT})
  if(EDGETRAIN_SANITIZE)
    # Open MPI does not free what MPI_Init allocates: LeakSanitizer would fail every rank.
    list(APPEND env ASAN_OPTIONS=detect_leaks=0)
  endif()
  add_test(NAME ${ARG_NAME}
           COMMAND ${ARG_WRAPPER} "${EDGETRAIN_MPIRUN}" ${EDGETRAIN_MPIRUN_FLAGS} --timeout ${ARG_TIMEOUT}
                   ${ARG_MPIRUN_ARGS} -np ${ARG_RANKS} ${CMAKE_CROSSCOMPILING_EMULATOR} "${program}" ${ARG_COMMAND})
  math(EXPR backstop "${ARG_TIMEOUT} + 15")
  set_tests_properties(${ARG_NAME} PROPERTIES TIMEOUT ${backstop} PROCESSORS ${ARG_RANKS} LABELS mpi)
  if(env)
    set_tests_properties(${ARG_NAME} PROPERTIES ENVIRONMENT "${env}")
  endif()
endfunction()
