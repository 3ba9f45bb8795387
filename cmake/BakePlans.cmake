# The plan-baking function, for this tree (Plans.cmake sets the planner) and for apps that
# find_package(edgetrain) (the package's config sets it from EDGETRAIN_PLANNER).
# EDGETRAIN_PLANNER_COMMAND: the planner to run; EDGETRAIN_PLAN_TARGET: host or pi3 (the device
# the peak-RSS prediction is for); EDGETRAIN_PLANNER_DEPENDS: what the generated file depends on.
# edgetrain_bake_plans(<out_var> NAME <name> (MODEL <model> | MODEL_FILE <file.json> |
#                      ONNX <file.onnx> [WEIGHTS_OUT <state>])
#                      BATCHES <b1> [<b2> ...] [ARGS <more planner flags>...])
# Runs the planner and sets <out_var> to the generated C++ file holding kBakedPlans. An ONNX
# model's initial weights go to WEIGHTS_OUT (plan --weights-out), for Session::load_weights.
function(edgetrain_bake_plans out_var)
  cmake_parse_arguments(ARG "" "NAME;MODEL;MODEL_FILE;ONNX;WEIGHTS_OUT" "BATCHES;ARGS" ${ARGN})
  list(JOIN ARG_BATCHES "," batches)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.gen.cc")
  set(source --model ${ARG_MODEL})
  set(outputs "${out}")
  set(depends ${EDGETRAIN_PLANNER_DEPENDS})
  if(ARG_MODEL_FILE)
    set(source --model-file "${ARG_MODEL_FILE}")
    list(APPEND depends "${ARG_MODEL_FILE}")
  endif()
  if(ARG_ONNX)
    set(source --onnx "${ARG_ONNX}")
    list(APPEND depends "${ARG_ONNX}")
    if(ARG_WEIGHTS_OUT)
      list(APPEND source --weights-out "${ARG_WEIGHTS_OUT}")
      list(APPEND outputs "${ARG_WEIGHTS_OUT}")
    endif()
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${EDGETRAIN_PLANNER_COMMAND} ${source} --batch ${batches}
            --target ${EDGETRAIN_PLAN_TARGET} ${ARG_ARGS}
            --out "${out}" --json "${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.gen.json"
    DEPENDS ${depends}
    COMMENT "Planning ${ARG_MODEL}${ARG_MODEL_FILE}${ARG_ONNX} for batch ${batches}"
    VERBATIM)
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()
