// Shared test main. Random tests seed from doctest's --rand-seed (see tests/test_random.h), so a
// failing run replays with the seed doctest prints.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
