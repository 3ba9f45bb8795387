# Debian ships XNNPACK and pthreadpool without CMake config files: find them by hand and wrap them
# as imported targets. In the pi3 build the toolchain file points the search at the arm64 sysroot.

function(edgetrain_import_library target header library)
  find_path(${target}_INCLUDE_DIR ${header} REQUIRED)
  find_library(${target}_LIBRARY ${library} REQUIRED)
  add_library(${target} SHARED IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${${target}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${${target}_INCLUDE_DIR}")
endfunction()

edgetrain_import_library(edgetrain::pthreadpool pthreadpool.h pthreadpool)
edgetrain_import_library(edgetrain::cpuinfo cpuinfo.h cpuinfo)
edgetrain_import_library(edgetrain::xnnpack xnnpack.h XNNPACK)
set_property(TARGET edgetrain::xnnpack APPEND PROPERTY
  INTERFACE_LINK_LIBRARIES edgetrain::pthreadpool edgetrain::cpuinfo)
find_package(ZLIB REQUIRED)
# Image folders: libjpeg-turbo's TurboJPEG API (Debian ships no CMake config for it) and libpng.
edgetrain_import_library(edgetrain::turbojpeg turbojpeg.h turbojpeg)
find_package(PNG REQUIRED)
if(NOT CMAKE_CROSSCOMPILING)
  # ONNX import in the planner (host only). Debian's libonnx-dev ships the generated header only
  # in its ONNX_ML variant (onnx/onnx-ml.pb.h) and an ONNXConfig.cmake that checks for unrelated
  # onnxifi files, so the message library is found by hand like XNNPACK.
  find_package(Protobuf REQUIRED)
  edgetrain_import_library(edgetrain::onnx_proto onnx/onnx_pb.h onnx_proto)
  set_property(TARGET edgetrain::onnx_proto APPEND PROPERTY INTERFACE_LINK_LIBRARIES protobuf::libprotobuf)
  set_property(TARGET edgetrain::onnx_proto APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS ONNX_ML=1 ONNX_NAMESPACE=onnx)
endif()
find_package(Threads REQUIRED)
find_package(doctest REQUIRED)
include(doctest)
