# Peak RSS (VmHWM) against the planner's prediction (planner/off_arena.h), every zoo model at
# batch 8: a trainer per model with its store-all plan baked in, 2 steps. The Fashion-MNIST
# models train on the real data (their default), the ImageNet ones on 8 synthetic 224x224 images.
# Host build: within 3%. Sanitizers change the allocator, so not there.
# pi3 build (under qemu-aarch64): the Fashion-MNIST models and two ImageNet models at 32x32
# (224x224 is minutes per step under QEMU); QEMU's RSS includes the emulator itself (code, its
# translation cache: tens of MiB a Pi does not have), so the error is reported, not checked,
# together with the error of the guest's own peak (rss-guest-peak.sh, a sampled lower bound).
set(rss_script "${CMAKE_CURRENT_LIST_DIR}/rss-prediction.sh")
if(CMAKE_CROSSCOMPILING)
  set(rss_cases "fashion_cnn:28" "fashion_net:28" "mobilenet_v2:32" "resnet18:32")
  set(rss_tolerance report "${CMAKE_CURRENT_LIST_DIR}/../../firmware-tools/lib/rss-guest-peak.sh")
elseif(NOT EDGETRAIN_SANITIZE)
  set(rss_cases "fashion_cnn:28" "fashion_net:28" "mobilenet_v1:224" "mobilenet_v2:224"
                "resnet18:224" "resnet34:224")
  set(rss_tolerance 3)
else()
  set(rss_cases)
endif()
foreach(case IN LISTS rss_cases)
  string(REPLACE ":" ";" parts "${case}")
  list(GET parts 0 model)
  list(GET parts 1 image)
  set(name rss-${model}-i${image}-b8)
  set(args)
  if(NOT image EQUAL 28)
    set(args ARGS --image ${image})
  endif()
  edgetrain_bake_plans(rss_plans NAME ${name} MODEL ${model} BATCHES 8 ${args})
  edgetrain_add_trainer(${name} ${rss_plans})
  set(data)
  if(NOT image EQUAL 28)
    set(data --synthetic 8)  # the planner's default for these inputs: synthetic:<batch>
  endif()
  add_test(NAME tools:rss_prediction_${model}_i${image}_b8
           COMMAND "${rss_script}" ${rss_tolerance} ${CMAKE_CROSSCOMPILING_EMULATOR}
                   $<TARGET_FILE:${name}> --steps 2 --log-every 1 --eval-images 8 ${data})
  set_tests_properties(tools:rss_prediction_${model}_i${image}_b8 PROPERTIES TIMEOUT 600)
endforeach()

# A resumed run has the same peak: the state is read into the params block without a buffer of
# its size (runtime/state_file.h; it added 4.3 MB, +7.1%, to fashion_net's resumed runs).
if(NOT CMAKE_CROSSCOMPILING AND NOT EDGETRAIN_SANITIZE)
  add_test(NAME tools:rss_prediction_fashion_net_resumed
           COMMAND "${rss_script}" 3 "${CMAKE_CURRENT_LIST_DIR}/resumed.sh" $<TARGET_FILE:rss-fashion_net-i28-b8>
                   -- --steps 3 --log-every 1 --eval-images 8)
endif()

# The prediction's inputs from the CLI: one error line each.
if(TARGET plan)
  add_test(NAME cli:plan_refuses_unknown_target
           COMMAND "${expect_error}" "unknown target 'pi4' \\(known: host, pi3\\)"
                   $<TARGET_FILE:plan> --model fashion_cnn --batch 8 --target pi4)
  add_test(NAME cli:plan_refuses_malformed_data
           COMMAND "${expect_error}" "--data is fashion-mnist or synthetic:N"
                   $<TARGET_FILE:plan> --model fashion_cnn --batch 8 --data synthetic:0)
  add_test(NAME cli:plan_refuses_off_arena_model_of_another_target
           COMMAND "${expect_error}" "off_arena.json:2: \"off_arena_model\" is for target 'pi3'"
                   $<TARGET_FILE:plan> --model fashion_cnn --batch 8
                   --profile "${CMAKE_CURRENT_LIST_DIR}/../fuzz/corpus_device_profile/off_arena.json")
endif()
