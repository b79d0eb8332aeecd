// The sample-free test program whose binary is the check's baseline (check.cpp, build.py).
TEST_CASE("baseline") { CHECK(1 + 1 == 2); }
