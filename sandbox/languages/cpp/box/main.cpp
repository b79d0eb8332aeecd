// assay's C++ test harness, the part that must live in the executable: main, which runs the tests
// (harness.cpp, in the harness library), and the sanitizers' hooks, which their runtimes look up
// in the executable. Runs INSIDE the sandbox; built once by trusted code (build.py).

extern "C" int assay_harness_run();
extern "C" void assay_harness_on_print(const char* text);

// The sanitizers print every report through this hook (weak in their runtimes).
extern "C" void __sanitizer_on_print(const char* text) { assay_harness_on_print(text); }

// The sanitizers' settings, whatever the environment says: an abort or a crash is reported with
// a stack and ends the test; leaks are checked after each test (harness.cpp) and at exit; a
// failed allocation throws std::bad_alloc, as without sanitizers.
extern "C" const char* __asan_default_options() {
    return "handle_abort=1:detect_leaks=1:allocator_may_return_null=1:color=never"
           ":detect_stack_use_after_return=0:print_summary=1";
}
extern "C" const char* __ubsan_default_options() {
    return "print_stacktrace=1:color=never";
}
extern "C" const char* __lsan_default_options() { return "color=never"; }

int main() { return assay_harness_run(); }
