// assay's check of a C++ sample's test binary: runs INSIDE the sandbox as the compile step's
// program, which runs g++ and then reads the linked binary before anything of the sample runs.
// Built once per machine by trusted code (sandbox/languages/cpp/build.py), without sanitizers.
//
// The harness (harness.cpp) reads its run token before any code of the sample can run and keeps
// it away from every function the sample could replace. The only code of an executable that can
// run earlier than a shared library's constructors, or inside them, is what the dynamic linker
// itself calls, and this check rejects a test binary that has any of it beyond what a
// sample-free build has (`baseline`, written by `describe` at build time):
//
// - an entry in .preinit_array (DT_PREINIT_ARRAYSZ beyond AddressSanitizer's own);
// - an IFUNC (an STT_GNU_IFUNC symbol, an IRELATIVE relocation): its resolver runs while the
//   executable is being relocated;
// - a function with a C name (not a mangled C++ one) that the executable exports: it replaces
//   the C library's or a sanitizer's for every library of the process, the harness included
//   (`extern "C" ssize_t read(...)`, `int f() asm("read")`, `__sanitizer_*` hooks). A copy
//   relocation (`stdout`, `std::cout` used by the sample) and data that is not code (a global
//   `double y1;`) are no function and pass, as do the baseline's own exports (main.o's hooks),
//   with the type they have there;
// - a definition of a function or object that the harness library defines for itself (doctest's
//   implementation: `doctest::detail::ResultBuilder::log()` and the like, the harness's entry
//   points): the sample's own calls would reach it instead of the harness's;
// - a program interpreter or a needed library that the baseline does not have.
//
// It reads the linked binary, not the source: whatever the preprocessor, `asm` labels or
// `.pushsection` directives made of it, this is what the dynamic linker will load. Anything it
// cannot read is a rejection.
//
//   assay_check describe BASELINE_BINARY HARNESS_LIBRARY > baseline.txt   (build time)
//   assay_check check baseline.txt BINARY [-- COMPILER ARGS...]          (each compile)
//
// `check` with a compiler runs it first (stdin, stdout, stderr and environment inherited) and
// ends as it ended where it failed; it checks BINARY only after a successful compile. A rejection
// is exit status 1 with one `assay-check: ` line per finding on stderr.
#include <cxxabi.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <unordered_map>
#include <unordered_set>

#include "elf.hpp"  // reading the binary

extern char** environ;

namespace {

constexpr int REJECTED = 1, CANNOT_CHECK = 1, USAGE = 2, EXEC_FAILED = 127;
constexpr size_t MAX_FINDINGS = 10;
using assay_elf::Elf, assay_elf::Facts, assay_elf::Symbol, assay_elf::read_facts;

bool defined(const Elf64_Sym& sym) { return sym.st_shndx != SHN_UNDEF; }
bool global(const Elf64_Sym& sym) {
    unsigned bind = ELF64_ST_BIND(sym.st_info);
    return bind == STB_GLOBAL || bind == STB_WEAK || bind == STB_GNU_UNIQUE;
}
bool mangled(const char* name) { return strncmp(name, "_Z", 2) == 0; }

std::string readable(const char* name) {
    int status = 0;
    char* plain = mangled(name) ? abi::__cxa_demangle(name, nullptr, nullptr, &status) : nullptr;
    std::string out = plain != nullptr && status == 0 ? plain : name;
    free(plain);
    return out;
}

// The baseline: what a sample-free test binary has, and what the harness library defines.
struct Baseline {
    std::string interp;
    uint64_t preinit = 0;
    std::unordered_set<std::string> needed, harness;
    std::unordered_map<std::string, unsigned> exports;  // name: its symbol type
};

bool load_baseline(const char* path, Baseline& out) {
    FILE* file = fopen(path, "re");
    if (file == nullptr) return false;
    char line[8192];
    bool seen_preinit = false;
    while (fgets(line, sizeof line, file) != nullptr) {
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = 0;
        char* value = strchr(line, ' ');
        if (value == nullptr) continue;
        *value++ = 0;
        if (strcmp(line, "interp") == 0) {
            out.interp = value;
        } else if (strcmp(line, "preinit") == 0) {
            out.preinit = strtoull(value, nullptr, 10);
            seen_preinit = true;
        } else if (strcmp(line, "needed") == 0) {
            out.needed.insert(value);
        } else if (strcmp(line, "export") == 0) {  // export TYPE NAME
            char* name = strchr(value, ' ');
            if (name != nullptr) {
                *name++ = 0;
                out.exports[name] = unsigned(atoi(value));
            }
        } else if (strcmp(line, "harness") == 0) {
            out.harness.insert(value);
        }
    }
    fclose(file);
    return seen_preinit && !out.harness.empty();
}

int describe(const char* baseline_path, const char* harness_path) {
    Elf binary(baseline_path), harness(harness_path);
    Facts facts, lib;
    std::string why = read_facts(binary, facts);
    if (why.empty() && (!harness.ok() || !harness.symbols(SHT_DYNSYM, lib.dynsym)))
        why = "the harness library: " + (harness.ok() ? std::string("malformed") : harness.error);
    if (why.empty() && facts.irelative > 0) why = "the baseline has IRELATIVE relocations";
    for (const Symbol& s : facts.symtab)
        if (why.empty() && ELF64_ST_TYPE(s.sym->st_info) == STT_GNU_IFUNC)
            why = std::string("the baseline has an IFUNC: ") + s.name;
    if (!why.empty()) {
        fprintf(stderr, "assay-check: cannot describe the baseline: %s\n", why.c_str());
        return CANNOT_CHECK;
    }
    printf("interp %s\npreinit %llu\n", facts.interp.c_str(), (unsigned long long)facts.preinit);
    for (const std::string& name : facts.needed) printf("needed %s\n", name.c_str());
    for (const Symbol& s : facts.dynsym)
        if (defined(*s.sym) && global(*s.sym) && !mangled(s.name) && *s.name)
            printf("export %u %s\n", ELF64_ST_TYPE(s.sym->st_info), s.name);
    for (const Symbol& s : lib.dynsym) {
        unsigned bind = ELF64_ST_BIND(s.sym->st_info), type = ELF64_ST_TYPE(s.sym->st_info);
        if (defined(*s.sym) && bind == STB_GLOBAL && *s.name &&
            (type == STT_FUNC || type == STT_OBJECT || type == STT_GNU_IFUNC))
            printf("harness %s\n", s.name);
    }
    return fflush(stdout) == 0 ? 0 : CANNOT_CHECK;
}

// The findings on `path` against `base`, one sentence each (empty: it passes).
std::vector<std::string> findings(const char* path, const Baseline& base) {
    Elf elf(path);
    Facts facts;
    std::string why = read_facts(elf, facts);
    if (!why.empty()) return {"the compiled program could not be checked: " + why};
    std::vector<std::string> out;
    std::set<std::string> said;
    auto add = [&](const std::string& text) {
        if (said.insert(text).second) out.push_back(text);
    };
    if (facts.interp != base.interp)
        add("the compiled program asks for another program interpreter (" + facts.interp + ")");
    for (const std::string& name : facts.needed)
        if (!base.needed.count(name)) add("the compiled program needs another library: " + name);
    if (facts.preinit > base.preinit)
        add("the compiled program puts a function in .preinit_array: it would run before the test "
            "harness starts; not allowed");
    bool ifunc = false;
    for (const Symbol& s : facts.symtab) {
        if (ELF64_ST_TYPE(s.sym->st_info) != STT_GNU_IFUNC || !defined(*s.sym)) continue;
        ifunc = true;
        add("the compiled program defines an IFUNC, `" + readable(s.name) +
            "` (ifunc, target_clones): its resolver would run before the test harness starts; "
            "not allowed");
    }
    if (facts.irelative > 0 && !ifunc)
        add("the compiled program has an IFUNC relocation: its resolver would run before the "
            "test harness starts; not allowed");
    for (size_t k = 0; k < facts.dynsym.size(); ++k) {
        const Symbol& s = facts.dynsym[k];
        const Elf64_Sym& sym = *s.sym;
        if (!defined(sym) || !global(sym) || !*s.name || mangled(s.name)) continue;
        unsigned type = ELF64_ST_TYPE(sym.st_info);
        auto known = base.exports.find(s.name);  // what the harness's own parts export, as such
        if ((known != base.exports.end() && known->second == type) || facts.copied.count(k))
            continue;
        bool code = type == STT_FUNC || type == STT_GNU_IFUNC || sym.st_shndx == SHN_ABS ||
                    (type != STT_TLS && elf.executable(sym.st_value));
        if (code)
            add(std::string("the compiled program defines `") + s.name +
                "`, a function of the C library, the C++ runtime or a sanitizer: it would replace "
                "theirs for the whole program, the test harness included; rename it or make it "
                "static");
    }
    for (const Symbol& s : facts.symtab) {
        if (!defined(*s.sym) || !global(*s.sym) || !base.harness.count(s.name)) continue;
        bool copy = false;
        for (uint64_t k : facts.copied)
            copy = copy || (k < facts.dynsym.size() && strcmp(facts.dynsym[k].name, s.name) == 0);
        if (!copy)
            add("the compiled program redefines `" + readable(s.name) +
                "`, which the test harness provides (doctest's implementation); not allowed");
    }
    return out;
}

int run_compiler(char** argv) {
    pid_t pid;
    int error = posix_spawn(&pid, argv[0], nullptr, nullptr, argv, environ);
    if (error != 0) {
        fprintf(stderr, "assay-sandbox: cannot execute [%s]: %s\n", argv[0], strerror(error));
        return EXEC_FAILED;
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "assay-sandbox: cannot execute [%s]: lost it\n", argv[0]);
            return EXEC_FAILED;
        }
    }
    if (WIFSIGNALED(status)) {  // end as the compiler ended: the judge names the signal
        signal(WTERMSIG(status), SIG_DFL);
        raise(WTERMSIG(status));
        return 128 + WTERMSIG(status);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

int check(const char* baseline_path, const char* binary, char** compiler) {
    Baseline base;
    if (!load_baseline(baseline_path, base)) {
        fprintf(stderr, "assay-sandbox: cannot execute [assay_check]: no baseline at %s\n",
                baseline_path);
        return EXEC_FAILED;
    }
    if (compiler != nullptr) {
        int status = run_compiler(compiler);
        if (status != 0) return status;
    }
    std::vector<std::string> found = findings(binary, base);
    for (size_t i = 0; i < found.size() && i < MAX_FINDINGS; ++i)
        fprintf(stderr, "assay-check: %s\n", found[i].c_str());
    if (found.size() > MAX_FINDINGS)
        fprintf(stderr, "assay-check: and %zu more\n", found.size() - MAX_FINDINGS);
    return found.empty() ? 0 : REJECTED;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 4 && strcmp(argv[1], "describe") == 0) return describe(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "check") == 0) return check(argv[2], argv[3], nullptr);
    if (argc >= 6 && strcmp(argv[1], "check") == 0 && strcmp(argv[4], "--") == 0)
        return check(argv[2], argv[3], argv + 5);
    fprintf(stderr,
            "usage: assay_check describe BASELINE_BINARY HARNESS_LIBRARY\n"
            "       assay_check check BASELINE_TXT BINARY [-- COMPILER ARGS...]\n");
    return USAGE;
}
