# What the runtime links (its exported targets name these): read by this tree's Dependencies.cmake
# and by the installed package's config file, so an app finds the same libraries (in the pi3
# build, the arm64 sysroot's: the toolchain file points the search there).
include(${CMAKE_CURRENT_LIST_DIR}/ImportLibrary.cmake)
if(NOT TARGET edgetrain::xnnpack)
  edgetrain_import_library(edgetrain::pthreadpool pthreadpool.h pthreadpool)
  edgetrain_import_library(edgetrain::cpuinfo cpuinfo.h cpuinfo)
  edgetrain_import_library(edgetrain::xnnpack xnnpack.h XNNPACK)
  set_property(TARGET edgetrain::xnnpack APPEND PROPERTY
    INTERFACE_LINK_LIBRARIES edgetrain::pthreadpool edgetrain::cpuinfo)
  find_package(ZLIB REQUIRED)
  # Image folders: libjpeg-turbo's TurboJPEG API (Debian ships no CMake config for it) and libpng.
  edgetrain_import_library(edgetrain::turbojpeg turbojpeg.h turbojpeg)
  find_package(PNG REQUIRED)
endif()
find_package(Threads REQUIRED)
