//! Values equal to everything: part of assay's Rust test runner (box/harness.rs), INSIDE the
//! sandbox. A solution can return a type whose `PartialEq` always says true:
//! `assert_eq!(add(2, 3), 5)` or `assert!(add(2, 3) == 5)` then passes whatever `add` computes,
//! and the strength check does not see it either (the stub switches `eq` off with every other
//! function). Macros assay writes after the solution's code, just before the tests, shadow
//! `assert_eq!` and `assert!` with `assay_assert_eq!` and `assay_assert!` below: once the two
//! values compared equal, `guard` compares each with a private type no sample knows, and each
//! with the other side replaced by another value of its type where it has a default: a
//! primitive's neighbour (5 and 6, 1.5 and 4.0, true and false), another type's default, or a
//! vector or string with an element added (a `PartialEq<Vec<i32>>` alone); a value equal to
//! either fails the test. The macros live in this crate
//! so that the compiler reports an error in their expansion (a comparison of two types that cannot
//! be compared) at the tests' own line, as it does for std's. Not covered: `assert_ne!`, an
//! `assert!` whose `==` shares its top level with `&&` or `||`, and a `PartialEq` true only for the
//! values the tests use.
pub struct Private;

trait EqualsPrivate {
    fn equals_private(&self) -> bool;
}

impl<T: ?Sized> EqualsPrivate for T {
    default fn equals_private(&self) -> bool {
        false
    }
}

impl<T: ?Sized + PartialEq<Private>> EqualsPrivate for T {
    fn equals_private(&self) -> bool {
        *self == Private
    }
}

/// Another value of a type with a default (a `Vec`, a `String`, a map, an `Option`, a tuple...):
/// its default, or, where `self` is that, a vector or string with an element added; a
/// primitive's is a neighbour (5 and 6, 1.5 and 4.0, true and false, 'a' and 'b').
trait Another: Sized {
    fn another(&self) -> Option<Self>;
}

impl<T: Default + PartialEq> Another for T {
    default fn another(&self) -> Option<Self> {
        let other = T::default();
        if *self != other {
            Some(other)
        } else {
            Grown::grown(self)
        }
    }
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl Another for $t {
            fn another(&self) -> Option<Self> {
                Some(if *self == <$t>::MAX { *self - 1 } else { *self + 1 })
            }
        }
    )*};
}
integers!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

macro_rules! floats {
    ($($t:ty),*) => {$(
        impl Another for $t {
            fn another(&self) -> Option<Self> {
                let this = *self;
                let other = if this < 0.0 { this - (1.0 - this) } else { this + (1.0 + this) };
                (this.is_finite() && other.is_finite() && other != this).then(|| other)
            }
        }
    )*};
}
floats!(f32, f64);

impl Another for bool {
    fn another(&self) -> Option<Self> {
        Some(!*self)
    }
}

impl Another for char {
    fn another(&self) -> Option<Self> {
        Some(if *self == 'a' { 'b' } else { 'a' })
    }
}

/// A vector or string with one element more than its empty self.
trait Grown: Sized {
    fn grown(&self) -> Option<Self>;
}

impl<T> Grown for T {
    default fn grown(&self) -> Option<Self> {
        None
    }
}

impl<E: Default> Grown for Vec<E> {
    fn grown(&self) -> Option<Self> {
        Some(vec![E::default()])
    }
}

impl Grown for String {
    fn grown(&self) -> Option<Self> {
        Some(String::from("?"))
    }
}

/// Whether `left` equals another value than `self` (the right side).
trait RightAnother<L: ?Sized> {
    fn another_equal(&self, left: &L) -> bool;
}

impl<L: ?Sized, R: ?Sized> RightAnother<L> for R {
    default fn another_equal(&self, _: &L) -> bool {
        false
    }
}

impl<L: ?Sized + PartialEq<R>, R: Default + PartialEq> RightAnother<L> for R {
    fn another_equal(&self, left: &L) -> bool {
        self.another().map_or(false, |other| *left == other)
    }
}

/// Whether another value than `self` (the left side) equals `right`.
trait LeftAnother<R: ?Sized> {
    fn another_equal(&self, right: &R) -> bool;
}

impl<L: ?Sized, R: ?Sized> LeftAnother<R> for L {
    default fn another_equal(&self, _: &R) -> bool {
        false
    }
}

impl<L: Default + PartialEq + PartialEq<R>, R: ?Sized> LeftAnother<R> for L {
    fn another_equal(&self, right: &R) -> bool {
        self.another().map_or(false, |other| other == *right)
    }
}

/// Fails the test where `left` or `right`, which compared equal, equals everything.
#[track_caller]
pub fn guard<L: ?Sized + PartialEq<R>, R: ?Sized>(left: &L, right: &R) {
    let everything = left.equals_private()
        || right.equals_private()
        || RightAnother::another_equal(right, left)
        || LeftAnother::another_equal(left, right);
    if everything {
        panic!(
            "a value compared equal to everything: its PartialEq says true whatever it is \
             compared with, so this assertion cannot fail"
        );
    }
}

/// `assert_eq!` as std's, then `guard`.
#[macro_export]
macro_rules! assay_assert_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (left_val, right_val) => {
                ::core::assert_eq!(*left_val, *right_val);
                $crate::equal::guard(left_val, right_val);
            }
        }
    };
    ($left:expr, $right:expr, $($arg:tt)+) => {
        match (&$left, &$right) {
            (left_val, right_val) => {
                ::core::assert_eq!(*left_val, *right_val, $($arg)+);
                $crate::equal::guard(left_val, right_val);
            }
        }
    };
}

/// `assert!` as std's; where its condition is `left == right` at its top level, that comparison
/// is then guarded as `assay_assert_eq!`'s. A `&&` or `||` at the top level (both bind looser than
/// `==`), or a comma before the `==` (a turbofish's), leaves std's `assert!` as written.
#[macro_export]
macro_rules! assay_assert {
    (@scan [$($all:tt)*] && $($rest:tt)*) => { ::core::assert!($($all)*) };
    (@scan [$($all:tt)*] || $($rest:tt)*) => { ::core::assert!($($all)*) };
    (@scan [$($all:tt)*] $next:tt $($rest:tt)*) => { $crate::assay_assert!(@scan [$($all)*] $($rest)*) };
    (@scan [$($all:tt)*]) => { $crate::assay_assert!(@left [] $($all)*) };
    (@left [$($left:tt)*] == $($rest:tt)*) => { $crate::assay_assert!(@right [$($left)*] $($rest)*) };
    (@left [$($left:tt)*] , $($rest:tt)*) => { ::core::assert!($($left)*, $($rest)*) };
    (@left [$($left:tt)*] $next:tt $($rest:tt)*) => { $crate::assay_assert!(@left [$($left)* $next] $($rest)*) };
    (@left [$($left:tt)*]) => { ::core::assert!($($left)*) };
    (@right [$($left:tt)*] $right:expr $(,)?) => {
        match (&($($left)*), &$right) {
            (left_val, right_val) => {
                if !(*left_val == *right_val) {
                    ::core::panic!("assertion failed: {}", ::core::stringify!($($left)* == $right));
                }
                $crate::equal::guard(left_val, right_val);
            }
        }
    };
    (@right [$($left:tt)*] $right:expr, $($arg:tt)+) => {
        match (&($($left)*), &$right) {
            (left_val, right_val) => {
                if !(*left_val == *right_val) {
                    ::core::panic!($($arg)+);
                }
                $crate::equal::guard(left_val, right_val);
            }
        }
    };
    ($($condition:tt)*) => { $crate::assay_assert!(@scan [$($condition)*] $($condition)*) };
}
