# Plans are generated at build time by the host planner and compiled into device binaries.
# The pi3 build cannot run its own planner natively, so it uses the host build's.
if(CMAKE_CROSSCOMPILING)
  set(EDGETRAIN_HOST_PLANNER "${CMAKE_SOURCE_DIR}/build/host/planner/plan" CACHE FILEPATH
      "The host build of the planner CLI")
  if(NOT EXISTS "${EDGETRAIN_HOST_PLANNER}")
    message(FATAL_ERROR "The pi3 build needs the host planner at ${EDGETRAIN_HOST_PLANNER}: "
      "run `cmake --preset host && cmake --build --preset host --target plan` first, "
      "or pass -DEDGETRAIN_HOST_PLANNER=<path>.")
  endif()
  set(EDGETRAIN_PLANNER_COMMAND "${EDGETRAIN_HOST_PLANNER}")
  set(EDGETRAIN_PLAN_TARGET pi3)  # which device the plans' peak-RSS prediction is for
  set(EDGETRAIN_PLANNER_DEPENDS "${EDGETRAIN_HOST_PLANNER}")
else()
  set(EDGETRAIN_PLANNER_COMMAND $<TARGET_FILE:plan>)
  set(EDGETRAIN_PLAN_TARGET host)
  set(EDGETRAIN_PLANNER_DEPENDS plan)
endif()

include(${CMAKE_CURRENT_LIST_DIR}/BakePlans.cmake)
