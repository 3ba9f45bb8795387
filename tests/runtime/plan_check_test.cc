#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "plan_check.h"
#include "runtime_test_util.h"

using namespace edgetrain;
using namespace edgetrain::test;

TEST_CASE("baked plans pass the check") {
  for (uint32_t i = 0; i < kBakedPlans.count; ++i) CHECK(check_plan(*kBakedPlans.plans[i]).is_ok());
}

TEST_CASE("corrupt plans are refused with a reason") {
  const Plan& good = baked_plan(4);
  std::vector<TensorDesc> tensors(good.tensors, good.tensors + good.tensor_count);
  std::vector<OpDesc> ops(good.train_ops, good.train_ops + good.train_op_count);
  Plan p = good;
  p.tensors = tensors.data();
  p.train_ops = ops.data();

  SUBCASE("wrong version") {
    p.version = 99;
    CHECK(std::string(check_plan(p).message()).find("re-run the planner") != std::string::npos);
  }
  SUBCASE("tensor past the end of the arena") {
    tensors[3].offset = good.arena_bytes;
    CHECK(std::string(check_plan(p).message()).find("outside its region") != std::string::npos);
  }
  SUBCASE("shape and bytes disagree") {
    tensors[3].bytes += 4;
    CHECK(check_plan(p).code() == StatusCode::InvalidPlan);
  }
  SUBCASE("op names a tensor that does not exist") {
    ops[2].in[0] = static_cast<int32_t>(good.tensor_count);
    CHECK(std::string(check_plan(p).message()).find("names tensor") != std::string::npos);
  }
  SUBCASE("unknown op kind") {
    ops[0].kind = static_cast<OpKind>(kOpKindCount);
    CHECK(std::string(check_plan(p).message()).find("unknown kind") != std::string::npos);
  }
  SUBCASE("an op lacks a required operand (op_kinds.h)") {
    REQUIRE(ops[1].kind == OpKind::Conv2d);
    ops[1].in[slot::Conv2d::w] = -1;
    CHECK(std::string(check_plan(p).message()).find("(Conv2d) lacks a required input") != std::string::npos);
  }
  SUBCASE("an op names an operand past its kind's slots") {
    REQUIRE(ops[1].kind == OpKind::Conv2d);
    ops[1].in[3] = 0;
    CHECK(std::string(check_plan(p).message()).find("past its kind's slots") != std::string::npos);
  }
  SUBCASE("an in-place write over a slot the kind does not allow") {
    REQUIRE(ops[1].kind == OpKind::Conv2d);
    ops[1].params.in_place = 1;
    CHECK(std::string(check_plan(p).message()).find("in place") != std::string::npos);
  }
  SUBCASE("a backward op in the eval schedule") {
    std::vector<OpDesc> eval(good.eval_ops, good.eval_ops + good.eval_op_count);
    eval[0] = ops[good.train_op_count - 2];
    p.eval_ops = eval.data();
    CHECK(std::string(check_plan(p).message()).find("is not a forward op") != std::string::npos);
  }
}
