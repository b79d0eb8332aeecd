// What every test program of assay's C++ sandbox starts with, precompiled once per machine and
// compiler (sandbox/languages/cpp/build.py): the standard headers most tests use, and doctest's
// interface. A sample's own #include of them then costs nothing. Kept small on purpose: GCC pays
// for a precompiled header in proportion to its size, in every compile. C++ headers only, and
// none that declares names a sample's own headers would not: a sample that defines its own
// `INFINITY`, `M_PI`, `round` or `sqrt` must not meet <math.h>'s because of the prelude, so no
// <cmath>. Not avoidable: <string> and <algorithm> bring <cstdlib> and <cstdio> in libstdc++, so
// every sample meets `abs`, `atoi`, `printf` (as any that includes <string> or <algorithm> does).
#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

// The containers tests use most, instantiated once in the harness library (harness.cpp) instead of
// in every sample: the same code, compiled with the same flags and sanitizers.
#define ASSAY_CONTAINERS(X)                 \
    X(std::vector<int>)                     \
    X(std::vector<long>)                    \
    X(std::vector<long long>)               \
    X(std::vector<float>)                   \
    X(std::vector<double>)                  \
    X(std::vector<char>)                    \
    X(std::vector<std::string>)             \
    X(std::vector<std::vector<int>>)        \
    X(std::vector<std::pair<int, int>>)
#define ASSAY_EXTERN_TEMPLATE(...) extern template class __VA_ARGS__;
ASSAY_CONTAINERS(ASSAY_EXTERN_TEMPLATE)

// doctest's interface, from the harness's copy (build.py), whose `==` fails where a value
// equals everything (equal_guard.hpp).
#include "equal_guard.hpp"
#include "doctest.h"

// The strength check's switch and stub values (sandbox/languages/cpp/stub.py).
#include "stub.hpp"
