// The prelude of samples that include <bits/stdc++.h> themselves: the whole standard library,
// then the usual prelude, precompiled together (sandbox/languages/cpp/build.py). Such a sample
// meets every C library name anyway, so nothing here is more than it asked for.
#include <bits/stdc++.h>

#include "prelude.hpp"
