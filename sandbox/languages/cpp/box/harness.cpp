// assay's C++ test harness: runs INSIDE the sandbox, linked into the sample's test binary.
//
// doctest's implementation and main, and a reporter that speaks assay's report protocol
// (sandbox/isolation/channel.py): it reads the run's token from descriptor 4 before any of the
// sample's code can run, then writes `<token> <json>` lines on descriptor 3:
// start, collected (every registered test case), begin and case for each test, and end only
// after the last test has run. A sanitizer's fatal report (AddressSanitizer, UBSan, an abort)
// becomes the running test's `case` with the report as its detail; a leak is checked after
// each test. It never sends `end` early: an exit before the last test is the judge's to reject.
// Built once per machine by trusted code (sandbox/languages/cpp/build.py) with the samples' flags,
// as a shared library with hidden visibility: a sample can name only doctest's interface and the
// three entry points marked ASSAY_EXPORT, never the token, the sequence, the reporter or doctest's
// own state.
//
// The token is read while the dynamic linker relocates this library (an IFUNC resolver, below):
// before any constructor, any sanitizer start-up and any relocation of the executable, so before
// any code of the sample can run, whatever it hooks (the trusted compile step rejects a test
// binary with code of its own that runs that early: box/check.cpp). It is read and written with
// raw system calls only: no function the executable could interpose (read, write, memcpy,
// std::string's) ever sees it.
#define DOCTEST_CONFIG_NO_POSIX_SIGNALS  // crashes are the sanitizers' to report, with a stack
#define DOCTEST_CONFIG_IMPLEMENT
// Everything doctest's header declares is the interface a sample's tests may call: exported (the
// pragma, and DOCTEST_INTERFACE for the friend functions it declares). Its implementation is held
// back for now (the guard defined), to be declared from the second include on: the test
// registry, the context's counters, everything of its own, hidden (-fvisibility=hidden).
#define DOCTEST_CONFIG_IMPLEMENTATION_IN_DLL
#define DOCTEST_LIBRARY_IMPLEMENTATION
#pragma GCC visibility push(default)
#include "prelude.hpp"
#pragma GCC visibility pop
#undef DOCTEST_LIBRARY_IMPLEMENTATION
#include "doctest.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>

#include "report_text.hpp"  // JSON strings, and what a sanitizer's report says

#define ASSAY_EXPORT extern "C" __attribute__((visibility("default")))
// Code that runs before the sanitizers' runtimes are set up (or sees the token): uninstrumented.
#define ASSAY_RAW __attribute__((no_sanitize("address", "undefined"), noinline))

namespace assay_harness {

constexpr int RESULT_FD = 3, TOKEN_FD = 4;
constexpr int TOKEN_CHARS = 32;
constexpr int HARNESS_FAILED = 70;  // the harness failed before the tests: the sandbox's fault
constexpr size_t MAX_TESTS = 1000;

namespace {

char token[TOKEN_CHARS];
int token_chars = 0;  // how much of it the resolver read: all of it, or the run has none
// The strength check's switch: '1' after the token on the same descriptor in the stub's run
// (`Step.stub`), nothing there in the sample's. Read with the token, so no environment variable,
// file or argument tells the two runs apart.
char stub_switch = 0;
long seq = 0;

// A system call, made here: the C library's wrappers can be replaced by the executable's.
ASSAY_RAW long raw_syscall(long number, long a, long b, long c) {
#if defined(__x86_64__)
    long result;
    asm volatile("syscall"
                 : "=a"(result)
                 : "a"(number), "D"(a), "S"(b), "d"(c)
                 : "rcx", "r11", "memory");
    return result;
#elif defined(__aarch64__)
    register long x8 asm("x8") = number;
    register long x0 asm("x0") = a;
    register long x1 asm("x1") = b;
    register long x2 asm("x2") = c;
    asm volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2) : "memory");
    return x0;
#else
#error "assay's C++ harness: no raw system calls for this architecture"
#endif
}

// Reads the token into `token` and closes its descriptor. Called by the dynamic linker while it
// relocates this library: nothing else of the process has run, nothing is set up (no sanitizer
// runtime, no C library state): raw system calls and plain stores only.
ASSAY_RAW void read_token_now() {
    while (token_chars < TOKEN_CHARS) {
        long n = raw_syscall(SYS_read, TOKEN_FD, reinterpret_cast<long>(token + token_chars),
                             TOKEN_CHARS - token_chars);
        if (n == -EINTR) continue;
        if (n <= 0) break;
        token_chars += int(n);
    }
    while (token_chars == TOKEN_CHARS &&
           raw_syscall(SYS_read, TOKEN_FD, reinterpret_cast<long>(&stub_switch), 1) == -EINTR) {
    }
    raw_syscall(SYS_close, TOKEN_FD, 0, 0);
}

ASSAY_RAW int token_was_read() { return token_chars; }

}  // namespace

// The IFUNC whose resolver reads the token: the dynamic linker calls the resolver when it
// applies this library's relocations (IRELATIVE), eagerly, before any of the executable's.
extern "C" {
ASSAY_RAW int (*assay_token_resolver())() {
    read_token_now();
    return token_was_read;
}
int assay_token_chars() __attribute__((ifunc("assay_token_resolver")));
}

void write_all(int fd, const char* data, size_t size) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            return;
        }
        data += n;
        size -= size_t(n);
    }
}

[[noreturn]] void fail(const char* why) {
    const char head[] = "assay harness: ";
    write_all(2, head, sizeof head - 1);
    write_all(2, why, strlen(why));
    write_all(2, "\n", 1);
    _exit(HARNESS_FAILED);
}

// One authenticated message: `fields` is the JSON object's members after "seq" and "t". The
// token and the message go out in one raw writev (the token passes through nothing else).
void send(const char* type, const std::string& fields = "") {
    std::string body = " {\"seq\": " + std::to_string(seq++) + ", \"t\": \"" + type + "\"";
    if (!fields.empty()) body += ", " + fields;
    body += "}\n";
    struct iovec parts[2] = {{token, TOKEN_CHARS}, {&body[0], body.size()}};
    int first = 0;
    while (first < 2) {
        long n = raw_syscall(SYS_writev, RESULT_FD, reinterpret_cast<long>(parts + first),
                             2 - first);
        if (n == -EINTR) continue;
        if (n < 0) return;
        for (; first < 2 && size_t(n) >= parts[first].iov_len; ++first)
            n -= long(parts[first].iov_len);
        if (first < 2) {
            parts[first].iov_base = static_cast<char*>(parts[first].iov_base) + n;
            parts[first].iov_len -= size_t(n);
        }
    }
}

// The strength check's switch (sandbox/languages/cpp/stub.py), read with the token: nothing of
// the sample's can turn it or see it.
bool stubbed = false;

// The run starts: before the executable's constructors (the sample's static initializers); the
// token was read earlier still, by the resolver above.
__attribute__((constructor(101))) void start() {
    if (assay_token_chars() != TOKEN_CHARS) fail("no run token on descriptor 4");
    if (fcntl(RESULT_FD, F_GETFD) < 0) fail("no result channel on descriptor 3");
    stubbed = stub_switch == '1';
    send("start");
}

struct Test {
    const doctest::detail::TestCase* test_case;
    std::string id;
};
std::vector<Test> tests;
std::map<const doctest::TestCaseData*, size_t> index_of;
const Test* running = nullptr;
bool case_sent = false;
bool leak_seen = false;  // reported once: a second check reports the same blocks again
bool any_failed = false;

// The case of a test, once: outcome, the first failure (expected vs actual), the detail.
void send_case(const Test& test, const char* outcome, const std::string& kind,
               const std::string& message, const std::string& detail, double seconds) {
    if (case_sent) return;
    case_sent = true;
    if (strcmp(outcome, "passed") != 0) any_failed = true;
    char duration[32];
    snprintf(duration, sizeof duration, "%.6f", seconds);
    send("case", "\"id\": " + quoted(test.id) + ", \"outcome\": \"" + outcome +
                     "\", \"kind\": " + quoted(kind) + ", \"message\": " + quoted(message) +
                     ", \"detail\": " + quoted(detail, MAX_DETAIL) +
                     ", \"duration\": " + duration);
}

// A sanitizer is about to end the process (memory error, undefined behaviour, abort, crash).
void on_death() {
    if (running == nullptr) return;
    std::string text = report_text();
    std::string headline = report_headline(text);
    send_case(*running, "error", report_kind(headline), headline, report_detail(text), 0.0);
    running = nullptr;
}

class Reporter : public doctest::IReporter {
  public:
    explicit Reporter(const doctest::ContextOptions&) {}

    void report_query(const doctest::QueryData&) override {}
    void test_run_start() override {}
    void test_run_end(const doctest::TestRunStats&) override {}

    void test_case_start(const doctest::TestCaseData& data) override {
        auto found = index_of.find(&data);
        if (found == index_of.end()) fail("a test case that was not collected started");
        running = &tests[found->second];
        case_sent = false;
        failure.clear();
        failure_kind.clear();
        details.clear();
        report_reset();
        send("begin", "\"id\": " + quoted(running->id));
    }

    void test_case_reenter(const doctest::TestCaseData&) override {}

    void test_case_end(const doctest::CurrentTestCaseStats& stats) override {
        if (running == nullptr) return;
        const Test& test = *running;
        // A test passes only if none of its checks failed and nothing escaped it, whatever its
        // decorators say (should_fail, may_fail, expected_failures do not turn a failure into a
        // pass here).
        using Reason = doctest::TestCaseFailureReason::Enum;
        int bad = Reason::AssertFailure | Reason::Exception | Reason::Crash | Reason::Timeout |
                  Reason::TooManyFailedAsserts;
        bool failed = stats.numAssertsFailedCurrentTest > 0 || (stats.failure_flags & bad);
        if (!failed && !leak_seen) {
            report_reset();
            if (__lsan_do_recoverable_leak_check() != 0) {
                leak_seen = true;
                std::string text = report_text();
                std::string headline = report_headline(text);
                send_case(test, "failed", report_kind(headline), headline, report_detail(text),
                          stats.seconds);
            }
        }
        if (failed && !failure.empty())
            send_case(test, "failed", failure_kind, failure, details, stats.seconds);
        else if (failed && !exception.empty())
            send_case(test, "error", "uncaught exception", exception, details, stats.seconds);
        else if (failed)
            send_case(test, "failed", "failed", "the test failed", details, stats.seconds);
        else
            send_case(test, "passed", "", "", "", stats.seconds);
        running = nullptr;
        exception.clear();
    }

    void test_case_exception(const doctest::TestCaseException& e) override {
        std::string text = std::string("exception: ") + e.error_string.c_str();
        if (exception.empty()) exception = text;
        add_detail(text);
    }

    void subcase_start(const doctest::SubcaseSignature& signature) override {
        subcase = signature.m_name.c_str();
    }
    void subcase_end() override { subcase.clear(); }

    void log_assert(const doctest::AssertData& data) override {
        if (!data.m_failed || (data.m_at & doctest::assertType::is_warn)) return;
        std::ostringstream text;
        text << doctest::skipPathFromFilename(data.m_file) << ":" << data.m_line << ": ";
        if (!subcase.empty()) text << "[subcase " << subcase << "] ";
        doctest::fulltext_log_assert_to_stream(text, data);
        std::string line = text.str();
        while (!line.empty() && line.back() == '\n') line.pop_back();
        if (failure.empty()) {
            failure = line;
            failure_kind = std::string(doctest::assertString(data.m_at)) + " failed";
        }
        add_detail(line);
    }

    void log_message(const doctest::MessageData& data) override {
        if (data.m_severity & doctest::assertType::is_warn) return;
        std::ostringstream text;
        text << doctest::skipPathFromFilename(data.m_file) << ":" << data.m_line << ": "
             << data.m_string.c_str();
        if ((data.m_severity & (doctest::assertType::is_check | doctest::assertType::is_require)) &&
            failure.empty()) {
            failure = text.str();  // FAIL(...) and FAIL_CHECK(...)
            failure_kind = "FAIL";
        }
        add_detail(text.str());
    }

    void test_case_skipped(const doctest::TestCaseData& data) override {
        auto found = index_of.find(&data);
        if (found == index_of.end()) return;
        running = &tests[found->second];
        case_sent = false;
        send("begin", "\"id\": " + quoted(running->id));
        send_case(*running, "skipped", "", "skipped by a decorator", "", 0.0);
        running = nullptr;
    }

  private:
    void add_detail(const std::string& line) {
        if (details.size() < MAX_DETAIL) details += line + "\n";
    }

    std::string failure, failure_kind, details, exception, subcase;
};

// Every registered test case, in the order doctest runs them (by file, then line), each with a
// unique id: its name, or name@line where two share a name.
void collect() {
    std::vector<const doctest::detail::TestCase*> all;
    for (auto& test_case : doctest::detail::getRegisteredTests()) all.push_back(&test_case);
    std::sort(all.begin(), all.end(), doctest::fileOrderComparator);
    std::map<std::string, int> seen;
    for (auto* test_case : all) seen[test_case->m_name] += 1;
    for (auto* test_case : all) {
        std::string id = test_case->m_name;
        if (seen[id] > 1) id += "@" + std::to_string(test_case->m_line);
        index_of[test_case] = tests.size();
        tests.push_back({test_case, id});
    }
}

void set_death_callbacks() {
    // ASan's and UBSan's runtimes each keep their own list; the one linked first answers by name.
    __sanitizer_set_death_callback(on_death);
    if (void* ubsan = dlopen("libubsan.so.1", RTLD_LAZY | RTLD_NOLOAD)) {
        using Setter = void (*)(void (*)());
        if (auto set = reinterpret_cast<Setter>(dlsym(ubsan, "__sanitizer_set_death_callback")))
            set(on_death);
    }
}

int run() {
    collect();
    std::string ids, errors;
    for (const Test& test : tests) ids += (ids.empty() ? "" : ", ") + quoted(test.id);
    if (tests.size() > MAX_TESTS)
        errors = quoted("more than " + std::to_string(MAX_TESTS) + " test cases");
    send("collected", "\"ids\": [" + ids + "], \"errors\": [" + errors + "]");
    if (!errors.empty()) {
        send("end", "\"exitstatus\": 2");
        return 1;
    }
    set_death_callbacks();
    doctest::Context context;
    context.setOption("reporters", "assay");
    context.setOption("no-colors", true);
    context.setOption("no-intro", true);
    context.setOption("no-version", true);
    context.setOption("no-breaks", true);
    context.setOption("order-by", "file");
    context.run();
    running = nullptr;
    std::fflush(stdout);
    std::cout.flush();
    // A child the tests forked and left running may be running the tests too (fork() without
    // exec): its report doubles this one, which the judge rejects, but only if it reaches the
    // channel before this process ends (the sandbox then ends the rest). Waiting for every child
    // makes that so whatever the scheduling; a child that never ends is the run's timeout.
    while (waitpid(-1, nullptr, 0) > 0 || errno == EINTR) {
    }
    send("end", any_failed ? "\"exitstatus\": 1" : "\"exitstatus\": 0");
    return any_failed ? 1 : 0;
}

}  // namespace assay_harness

REGISTER_REPORTER("assay", 1, assay_harness::Reporter);

#define ASSAY_INSTANTIATE(...) template class __VA_ARGS__;
ASSAY_CONTAINERS(ASSAY_INSTANTIATE)

ASSAY_EXPORT int assay_harness_run() { return assay_harness::run(); }

ASSAY_EXPORT bool assay_stubbed() noexcept { return assay_harness::stubbed; }

// Every line a sanitizer prints (main.cpp's hook), kept for the running test's case.
ASSAY_EXPORT void assay_harness_on_print(const char* text) {
    using namespace assay_harness;
    size_t n = strlen(text);
    size_t room = sizeof report - report_len;
    if (n > room) n = room;
    memcpy(report + report_len, text, n);
    report_len += n;
}
