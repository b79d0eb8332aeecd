// The ELF reading of assay's binary check (check.cpp): what the dynamic linker reads of a linked
// binary (program interpreter, needed libraries, .preinit_array, relocations) and its symbol
// tables, from a read-only mapping of the file, every read bounds-checked. Runs INSIDE the sandbox,
// in the compile step; the binary it reads is the sample's, so nothing of it is trusted.
#pragma once

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

namespace assay_elf {

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
inline bool relocations(const Elf& elf, uint64_t offset, uint64_t size, bool rela, bool dynamic,
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
inline std::string read_facts(const Elf& elf, Facts& facts) {
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

}  // namespace assay_elf
