// Runs in the sandbox, in the sample's test program: doctest's `==` (in CHECK, REQUIRE, CHECK_EQ,
// and HumanEval-X's asserts, which become REQUIREs) fails where a value equals everything.
//
// A solution can return an object whose operator== always says true (a template, or one that
// takes an int): `CHECK(add(2, 3) == 5)` then passes whatever `add` computes, and the strength
// check does not see it either, as the stub switches the operator off with the function. The
// harness's copy of doctest (build.py) compares through `assay_equal`: where a comparison holds
// and one side is a class, that side is compared with a private type no sample's code knows, and
// with another value of the other side's arithmetic type (5 and 6, 1.5 and 4.0, true and false);
// a value that equals either is said to equal everything, and the check fails with that message.
// Not covered: comparisons outside doctest's macros (a test's own `if (a == b)`), and a value
// whose operator== is true only for the values the tests use.
#pragma once
#pragma GCC system_header  // doctest's comparisons warn as they did in the system's doctest.h

#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace assay_equal_detail {

struct Private {};  // nothing honest compares equal to it

template <class A, class B, class = void>
struct comparable : std::false_type {};
template <class A, class B>
struct comparable<A, B,
                  std::void_t<decltype(static_cast<bool>(std::declval<A&>() == std::declval<B&>()))>>
    : std::true_type {};

[[noreturn]] inline void equals_everything() {
    throw std::logic_error(
        "a value compared equal to everything: its operator== says true whatever it is compared "
        "with, so this check cannot fail");
}

template <class T>
bool equals_private(T& value) {
    Private other;
    if constexpr (comparable<T, Private>::value) {
        if (static_cast<bool>(value == other)) return true;
    }
    if constexpr (comparable<Private, T>::value) {
        if (static_cast<bool>(other == value)) return true;
    }
    return false;
}

// A value of `N` that is not `v`, where there is an obvious one (none for NaN or infinities).
template <class N>
bool another(N v, N& out) {
    if constexpr (std::is_same_v<N, bool>) {
        out = !v;
    } else if constexpr (std::is_integral_v<N>) {
        out = v == std::numeric_limits<N>::max() ? N(v - 1) : N(v + 1);
    } else {
        if (v != v || v > std::numeric_limits<N>::max() || v < -std::numeric_limits<N>::max())
            return false;
        out = v < 0 ? v - (N(1) - v) : v + (N(1) + v);  // 1.5 -> 4.0, 0 -> 1, -2 -> -5
    }
    return out != v;
}

template <class L, class R>
void check(L& l, R& r) {
    using A = std::remove_cv_t<L>;
    using B = std::remove_cv_t<R>;
    if constexpr (std::is_class_v<A>) {
        if (equals_private(l)) equals_everything();
        if constexpr (std::is_arithmetic_v<B> && comparable<L, B>::value) {
            B other;
            if (another<B>(r, other) && static_cast<bool>(l == other)) equals_everything();
        }
    }
    if constexpr (std::is_class_v<B>) {
        if (equals_private(r)) equals_everything();
        if constexpr (std::is_arithmetic_v<A> && comparable<A, R>::value) {
            A other;
            if (another<A>(l, other) && static_cast<bool>(other == r)) equals_everything();
        }
    }
}

}  // namespace assay_equal_detail

// What doctest's `lhs == rhs` is in the harness's copy of doctest.h (build.py).
template <class L, class R>
bool assay_equal(L&& l, R&& r) {
    const bool equal = static_cast<bool>(std::forward<L>(l) == std::forward<R>(r));
    if (equal) assay_equal_detail::check(l, r);
    return equal;
}
