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
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

extern char** environ;

namespace {

constexpr int REJECTED = 1, CANNOT_CHECK = 1, USAGE = 2, EXEC_FAILED = 127;
constexpr size_t MAX_FINDINGS = 10;
constexpr unsigned IRELATIVE_X86_64 = 37, COPY_X86_64 = 5;       // R_X86_64_*
constexpr unsigned IRELATIVE_AARCH64 = 1032, COPY_AARCH64 = 1024;  // R_AARCH64_*

struct Symbol {
    const Elf64_Sym* sym;
    const char* name;
};

// A mapped ELF64 little-endian file; every read is bounds-checked (`at`).
class Elf {
  public:
    std::string error;

    explicit Elf(const char* path) {
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        struct stat info;
        if (fd < 0 || fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
            error = std::string("cannot open it: ") + strerror(errno);
            if (fd >= 0) close(fd);
            return;
        }
        size_ = size_t(info.st_size);
        void* mapped = size_ ? mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
        close(fd);
        if (mapped == MAP_FAILED) {
            error = "cannot map it";
            return;
        }
        data_ = static_cast<const unsigned char*>(mapped);
        error = parse();
    }

    ~Elf() {
        if (data_ != nullptr) munmap(const_cast<unsigned char*>(data_), size_);
    }

    bool ok() const { return error.empty(); }
    unsigned machine() const { return header_->e_machine; }

    template <class T>
    const T* at(uint64_t offset, uint64_t count = 1) const {
        if (data_ == nullptr || offset > size_ || count > (size_ - offset) / sizeof(T))
            return nullptr;
        if (offset % alignof(T) != 0) return nullptr;
        return reinterpret_cast<const T*>(data_ + offset);
    }

  private:
    std::string parse() {
        header_ = at<Elf64_Ehdr>(0);
        if (header_ == nullptr || memcmp(header_->e_ident, ELFMAG, SELFMAG) != 0 ||
            header_->e_ident[EI_CLASS] != ELFCLASS64 || header_->e_ident[EI_DATA] != ELFDATA2LSB)
            return "not a 64-bit little-endian ELF file";
        if (header_->e_machine != EM_X86_64 && header_->e_machine != EM_AARCH64)
            return "not an x86-64 or AArch64 ELF file";
        if (header_->e_phentsize != sizeof(Elf64_Phdr) ||
            header_->e_shentsize != sizeof(Elf64_Shdr))
            return "unexpected ELF header sizes";
        programs_ = at<Elf64_Phdr>(header_->e_phoff, header_->e_phnum);
        sections_ = at<Elf64_Shdr>(header_->e_shoff, header_->e_shnum);
        if (programs_ == nullptr || sections_ == nullptr || header_->e_shnum == 0)
            return "its program or section headers are out of bounds";
        return "";
    }

  public:
    // A NUL-terminated string at `offset` that ends before `end`, or nullptr.
    const char* string(uint64_t offset, uint64_t end) const {
        if (end > size_ || offset >= end) return nullptr;
        const void* nul = memchr(data_ + offset, 0, end - offset);
        return nul == nullptr ? nullptr : reinterpret_cast<const char*>(data_ + offset);
    }

    size_t program_count() const { return header_->e_phnum; }
    const Elf64_Phdr& program(size_t i) const { return programs_[i]; }
    size_t section_count() const { return header_->e_shnum; }
    const Elf64_Shdr& section(size_t i) const { return sections_[i]; }

    // The file offset of `size` bytes at virtual address `address`, from the loaded segments.
    bool offset_of(uint64_t address, uint64_t size, uint64_t& offset) const {
        for (size_t i = 0; i < program_count(); ++i) {
            const Elf64_Phdr& p = program(i);
            if (p.p_type != PT_LOAD || address < p.p_vaddr) continue;
            uint64_t into = address - p.p_vaddr;
            if (into > p.p_filesz || size > p.p_filesz - into) continue;
            offset = p.p_offset + into;
            return true;
        }
        return false;
    }

    // Whether `address` lies in a segment mapped executable.
    bool executable(uint64_t address) const {
        for (size_t i = 0; i < program_count(); ++i) {
            const Elf64_Phdr& p = program(i);
            if (p.p_type == PT_LOAD && (p.p_flags & PF_X) && address >= p.p_vaddr &&
                address - p.p_vaddr < p.p_memsz)
                return true;
        }
        return false;
    }

    // The symbols of the first section of `type` (SHT_SYMTAB, SHT_DYNSYM), with their names;
    // false where it is malformed (a missing table is an empty one).
    bool symbols(uint32_t type, std::vector<Symbol>& out) const {
        for (size_t i = 0; i < section_count(); ++i) {
            const Elf64_Shdr& s = section(i);
            if (s.sh_type != type) continue;
            if (s.sh_entsize != sizeof(Elf64_Sym) || s.sh_link >= section_count()) return false;
            const Elf64_Shdr& names = section(s.sh_link);
            uint64_t names_end = names.sh_offset + names.sh_size;
            if (names_end < names.sh_offset) return false;
            uint64_t count = s.sh_size / sizeof(Elf64_Sym);
            const Elf64_Sym* syms = at<Elf64_Sym>(s.sh_offset, count);
            if (syms == nullptr) return false;
            for (uint64_t k = 0; k < count; ++k) {
                const char* name = string(names.sh_offset + syms[k].st_name, names_end);
                if (name == nullptr) return false;
                out.push_back({&syms[k], name});
            }
            return true;
        }
        return true;
    }

  private:
    const unsigned char* data_ = nullptr;
    size_t size_ = 0;
    const Elf64_Ehdr* header_ = nullptr;
    const Elf64_Phdr* programs_ = nullptr;
    const Elf64_Shdr* sections_ = nullptr;
};

// What the dynamic linker reads of a binary, and the symbols this check looks at.
struct Facts {
    std::string interp;
    uint64_t preinit = 0;  // bytes of .preinit_array
    std::vector<std::string> needed;
    std::vector<Symbol> dynsym, symtab;
    std::set<uint64_t> copied;  // .dynsym indices with a copy relocation
    uint64_t irelative = 0;     // IRELATIVE relocations
};

// The relocations at `offset`: IRELATIVE ones, and which symbols are copied (`dynamic`: the
// table's symbols are .dynsym's, as those the dynamic linker reads are).
bool relocations(const Elf& elf, uint64_t offset, uint64_t size, bool rela, bool dynamic,
                 Facts& out) {
    uint64_t entry = rela ? sizeof(Elf64_Rela) : sizeof(Elf64_Rel);
    uint64_t count = size / entry;
    bool x86 = elf.machine() == EM_X86_64;
    unsigned irelative = x86 ? IRELATIVE_X86_64 : IRELATIVE_AARCH64;
    unsigned copy = x86 ? COPY_X86_64 : COPY_AARCH64;
    for (uint64_t k = 0; k < count; ++k) {
        uint64_t info;
        if (rela) {
            const Elf64_Rela* r = elf.at<Elf64_Rela>(offset + k * entry);
            if (r == nullptr) return false;
            info = r->r_info;
        } else {
            const Elf64_Rel* r = elf.at<Elf64_Rel>(offset + k * entry);
            if (r == nullptr) return false;
            info = r->r_info;
        }
        if (ELF64_R_TYPE(info) == irelative) ++out.irelative;
        if (ELF64_R_TYPE(info) == copy && dynamic) out.copied.insert(ELF64_R_SYM(info));
    }
    return true;
}

// Everything `check` and `describe` need, or an error.
std::string read_facts(const Elf& elf, Facts& facts) {
    if (!elf.ok()) return elf.error;
    const Elf64_Phdr* dynamic = nullptr;
    for (size_t i = 0; i < elf.program_count(); ++i) {
        const Elf64_Phdr& p = elf.program(i);
        if (p.p_type == PT_INTERP) {
            const char* path = elf.string(p.p_offset, p.p_offset + p.p_filesz);
            if (path == nullptr || p.p_offset + p.p_filesz < p.p_offset)
                return "its program interpreter is malformed";
            facts.interp = path;
        } else if (p.p_type == PT_DYNAMIC) {
            dynamic = &p;
        }
    }
    if (!elf.symbols(SHT_DYNSYM, facts.dynsym) || !elf.symbols(SHT_SYMTAB, facts.symtab))
        return "its symbol tables are malformed";
    if (facts.symtab.empty()) return "it has no symbol table";
    // The dynamic section, as the dynamic linker reads it.
    uint64_t strtab = 0, strsz = 0, rela = 0, relasz = 0, rel = 0, relsz = 0, jmprel = 0,
             pltrelsz = 0, pltrel = DT_RELA;
    std::vector<uint64_t> needed;
    if (dynamic != nullptr) {
        uint64_t count = dynamic->p_filesz / sizeof(Elf64_Dyn);
        const Elf64_Dyn* entries = elf.at<Elf64_Dyn>(dynamic->p_offset, count);
        if (entries == nullptr) return "its dynamic section is out of bounds";
        for (uint64_t k = 0; k < count && entries[k].d_tag != DT_NULL; ++k) {
            uint64_t value = entries[k].d_un.d_val;
            switch (entries[k].d_tag) {
                case DT_NEEDED: needed.push_back(value); break;
                case DT_STRTAB: strtab = value; break;
                case DT_STRSZ: strsz = value; break;
                case DT_PREINIT_ARRAYSZ: facts.preinit = std::max(facts.preinit, value); break;
                case DT_RELA: rela = value; break;
                case DT_RELASZ: relasz = value; break;
                case DT_REL: rel = value; break;
                case DT_RELSZ: relsz = value; break;
                case DT_JMPREL: jmprel = value; break;
                case DT_PLTRELSZ: pltrelsz = value; break;
                case DT_PLTREL: pltrel = value; break;
                default: break;
            }
        }
        uint64_t strings = 0;
        if (!needed.empty() && !elf.offset_of(strtab, strsz, strings))
            return "its dynamic string table is out of bounds";
        for (uint64_t name : needed) {
            const char* text = name < strsz ? elf.string(strings + name, strings + strsz) : nullptr;
            if (text == nullptr) return "a needed library's name is malformed";
            facts.needed.push_back(text);
        }
        struct Table {
            uint64_t address, size;
            bool rela;
        } tables[] = {
            {rela, relasz, true}, {rel, relsz, false}, {jmprel, pltrelsz, pltrel == DT_RELA}};
        for (const Table& table : tables) {
            if (table.size == 0) continue;
            uint64_t offset;
            if (!elf.offset_of(table.address, table.size, offset) ||
                !relocations(elf, offset, table.size, table.rela, true, facts))
                return "its relocations are out of bounds";
        }
    }
    // The same from the section headers, in case they say more (IRELATIVE, .preinit_array).
    for (size_t i = 0; i < elf.section_count(); ++i) {
        const Elf64_Shdr& s = elf.section(i);
        if (s.sh_type == SHT_PREINIT_ARRAY) facts.preinit = std::max(facts.preinit, s.sh_size);
        if ((s.sh_type == SHT_RELA || s.sh_type == SHT_REL) && s.sh_size > 0 &&
            !relocations(elf, s.sh_offset, s.sh_size, s.sh_type == SHT_RELA, false, facts))
            return "its relocation sections are out of bounds";
    }
    return "";
}

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
