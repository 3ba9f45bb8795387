# The CMake package an app finds with find_package(edgetrain): the runtime, its kernels and the
# plan contract as edgetrain::runtime (and ::kernels, ::contract), exported from the build tree
# (edgetrain_DIR = this build directory) and installed (cmake --install <build> --prefix P:
# P/lib/cmake/edgetrain, P/include/edgetrain, P/lib). The config file is cmake/edgetrainConfig.cmake.in.
if(CMAKE_CROSSCOMPILING)
  set(EDGETRAIN_PACKAGE_PLANNER "${EDGETRAIN_HOST_PLANNER}")
else()
  set(EDGETRAIN_PACKAGE_PLANNER "${CMAKE_BINARY_DIR}/planner/plan")
endif()
set(config_files ImportLibrary.cmake RuntimeDependencies.cmake BakePlans.cmake)
set(package_dir lib/cmake/edgetrain)

install(TARGETS edgetrain_runtime edgetrain_kernels edgetrain_contract EXPORT edgetrainTargets
        ARCHIVE DESTINATION lib)
install(DIRECTORY runtime/include/edgetrain DESTINATION include)
install(FILES runtime/contract/op_kinds.h runtime/contract/plan_format.h runtime/contract/state_format.h
              runtime/contract/window.h DESTINATION include/edgetrain/plan)
install(EXPORT edgetrainTargets NAMESPACE edgetrain:: DESTINATION ${package_dir})
configure_file(cmake/edgetrainConfig.cmake.in edgetrainConfig.cmake @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/edgetrainConfig.cmake DESTINATION ${package_dir})
foreach(f IN LISTS config_files)
  configure_file(cmake/${f} ${f} COPYONLY)
  install(FILES cmake/${f} DESTINATION ${package_dir})
endforeach()
export(EXPORT edgetrainTargets NAMESPACE edgetrain:: FILE ${CMAKE_BINARY_DIR}/edgetrainTargets.cmake)
