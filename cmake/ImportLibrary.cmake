# edgetrain_import_library(<target> <header> <library>): a library Debian ships without a CMake
# config file (XNNPACK, pthreadpool, cpuinfo, TurboJPEG), found by hand and wrapped as an imported
# target. Read by this tree's Dependencies.cmake and by the installed package's config file.
function(edgetrain_import_library target header library)
  find_path(${target}_INCLUDE_DIR ${header} REQUIRED)
  find_library(${target}_LIBRARY ${library} REQUIRED)
  add_library(${target} SHARED IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${${target}_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${${target}_INCLUDE_DIR}")
endfunction()
