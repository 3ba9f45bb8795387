# Debian ships XNNPACK and pthreadpool without CMake config files: find them by hand and wrap them
# as imported targets. In the pi3 build the toolchain file points the search at the arm64 sysroot.

include(${CMAKE_CURRENT_LIST_DIR}/RuntimeDependencies.cmake)
if(NOT CMAKE_CROSSCOMPILING)
  # ONNX import in the planner (host only). Debian's libonnx-dev ships the generated header only
  # in its ONNX_ML variant (onnx/onnx-ml.pb.h) and an ONNXConfig.cmake that checks for unrelated
  # onnxifi files, so the message library is found by hand like XNNPACK.
  find_package(Protobuf REQUIRED)
  edgetrain_import_library(edgetrain::onnx_proto onnx/onnx_pb.h onnx_proto)
  set_property(TARGET edgetrain::onnx_proto APPEND PROPERTY INTERFACE_LINK_LIBRARIES protobuf::libprotobuf)
  set_property(TARGET edgetrain::onnx_proto APPEND PROPERTY INTERFACE_COMPILE_DEFINITIONS ONNX_ML=1 ONNX_NAMESPACE=onnx)
endif()
find_package(doctest REQUIRED)
include(doctest)
# Open MPI (EDGETRAIN_MPI, EDGETRAIN_HAVE_MPI, edgetrain::mpi, edgetrain_add_mpi_test).
include(${CMAKE_CURRENT_LIST_DIR}/Mpi.cmake)
