# Cross toolchain for the Raspberry Pi 3 (Cortex-A53, 64-bit Raspberry Pi OS bookworm, glibc 2.36).
#
# Two roots, on purpose:
# - The compiler keeps its own libc headers and crt files (Debian's libc6-dev-arm64-cross, glibc
#   2.36 like the Pi), so no CMAKE_SYSROOT: gcc-cross finds its C++ headers relative to itself.
# - EDGETRAIN_SYSROOT (toolchains/make-sysroot.sh) holds the arm64 XNNPACK, cpuinfo, pthreadpool,
#   zlib and doctest packages for find_path/find_library/find_package, plus Debian's arm64 libc6,
#   libstdc++6 and libgcc-s1, which are what qemu-aarch64 runs binaries against.

set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
# The one place that names the target CPU (it also selects NEON and the A53 scheduling model).
set(CMAKE_C_FLAGS_INIT "-mcpu=cortex-a53")
set(CMAKE_CXX_FLAGS_INIT "-mcpu=cortex-a53")

if(NOT EDGETRAIN_SYSROOT)
  set(EDGETRAIN_SYSROOT "${CMAKE_CURRENT_LIST_DIR}/../build/sysroot-arm64")
endif()
get_filename_component(EDGETRAIN_SYSROOT "${EDGETRAIN_SYSROOT}" ABSOLUTE)
set(EDGETRAIN_SYSROOT "${EDGETRAIN_SYSROOT}" CACHE PATH "arm64 sysroot made by toolchains/make-sysroot.sh")
if(NOT EXISTS "${EDGETRAIN_SYSROOT}/.edgetrain-sysroot")
  message(FATAL_ERROR "No arm64 sysroot at ${EDGETRAIN_SYSROOT}: run "
    "`toolchains/make-sysroot.sh build/sysroot-arm64` (as root) from the repo root first.")
endif()
# try_compile projects re-read this file without the outer cache.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES EDGETRAIN_SYSROOT)

set(CMAKE_FIND_ROOT_PATH "${EDGETRAIN_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)  # build tools are host programs
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)   # never link an amd64 library by mistake
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)   # doctest's config is in the sysroot too

set(_edgetrain_libdirs "${EDGETRAIN_SYSROOT}/lib/aarch64-linux-gnu"
                       "${EDGETRAIN_SYSROOT}/usr/lib/aarch64-linux-gnu")
# libXNNPACK.so names libpthreadpool and libcpuinfo as NEEDED; the linker must find those too.
# Only usr/lib: the sysroot's libc stays out of the link, the compiler's own is used.
set(CMAKE_EXE_LINKER_FLAGS_INIT "-Wl,-rpath-link,${EDGETRAIN_SYSROOT}/usr/lib/aarch64-linux-gnu")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "${CMAKE_EXE_LINKER_FLAGS_INIT}")

# ctest and doctest_discover_tests run target binaries through this. -L gives the loader and libc
# of ONE arm64 glibc (the sysroot's libc6); mixing it with the cross toolchain's loader deadlocks
# in pthread_create. The explicit LD_LIBRARY_PATH keeps every library inside the sysroot: qemu's
# -L falls back to host paths for files missing from the prefix, and RUNPATH is not transitive
# (libXNNPACK needs libpthreadpool).
find_program(EDGETRAIN_QEMU qemu-aarch64 NO_CMAKE_FIND_ROOT_PATH)
if(NOT EDGETRAIN_QEMU)
  message(FATAL_ERROR "qemu-aarch64 not found: run `toolchains/install-deps.sh` (as root).")
endif()
list(JOIN _edgetrain_libdirs ":" _edgetrain_ld_path)
set(CMAKE_CROSSCOMPILING_EMULATOR "${EDGETRAIN_QEMU};-cpu;cortex-a53;-L;${EDGETRAIN_SYSROOT};-E;LD_LIBRARY_PATH=${_edgetrain_ld_path}")
