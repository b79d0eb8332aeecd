// assay's C++ test harness, its text: runs INSIDE the sandbox, part of the harness library
// (harness.cpp includes it; build.py builds both, once). Text only: nothing here sees the run's
// token or writes to the report channel.
//
// - `quoted`: a JSON string the judge can read (escaped, invalid UTF-8 replaced, clipped);
// - `report`: a sanitizer's report (AddressSanitizer, UBSan, LeakSanitizer) as it prints it, and
//   `report_headline`, `report_kind`, `report_detail`: what it says, for the running test's case:
//   its message, its kind, and the report without the shadow map and the harness's own frames.
#pragma once

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string>

#include <unistd.h>

namespace assay_harness {

constexpr size_t MAX_FIELD = 2000, MAX_DETAIL = 6000;

namespace {

// A JSON string of `text`: escaped, invalid UTF-8 replaced (the judge reads UTF-8 JSON), clipped.
std::string quoted(const std::string& text, size_t limit = MAX_FIELD) {
    std::string out = "\"";
    size_t i = 0, n = std::min(text.size(), limit);
    while (i < n) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += char(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c < 0x20 || c == 0x7f) {
            char buf[8];
            snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        } else if (c < 0x80) {
            out += char(c);
        } else {
            size_t len = c >= 0xf0 && c < 0xf5 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 && c < 0xe0 ? 2 : 0;
            if (c >= 0xf5) len = 0;
            bool valid = len > 0 && i + len <= n;
            for (size_t k = 1; valid && k < len; ++k)
                valid = (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
            if (valid) {
                out.append(text, i, len);
                i += len;
                continue;
            }
            out += "\\ufffd";
        }
        ++i;
    }
    if (text.size() > limit) out += "...";
    return out + "\"";
}

// The sanitizers' report text, as they print it (a fixed buffer: they call this while dying).
char report[16384];
size_t report_len = 0;

void report_reset() { report_len = 0; }

// The report, with the work dir's path left out of file names (solution.hpp:12, not /sandbox/...).
std::string report_text() {
    std::string text(report, report_len);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) != nullptr) {
        std::string prefix = std::string(cwd) + "/";
        for (size_t at; (at = text.find(prefix)) != std::string::npos;) text.erase(at, prefix.size());
    }
    return text;
}

// The line of a sanitizer report that says what went wrong, for the case's message: UBSan's
// "file:line:col: runtime error: ...", else the summary ("AddressSanitizer: heap-buffer-overflow
// solution.hpp:6 in at(...)"), else the error line.
std::string report_headline(const std::string& text) {
    std::string summary, error;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        size_t error_at = line.find(": runtime error: ");
        if (error_at != std::string::npos)  // "file:line:col: runtime error: what"
            return "UndefinedBehaviorSanitizer: " + line.substr(error_at + 17) + " at " +
                   line.substr(0, error_at);
        size_t at = line.find("SUMMARY: ");
        if (at != std::string::npos && summary.empty()) summary = line.substr(at + 9);
        at = line.find("ERROR: ");
        if (at != std::string::npos && error.empty()) error = line.substr(at + 7);
    }
    if (error.rfind("LeakSanitizer", 0) == 0 && summary.find(": ") != std::string::npos)
        return "LeakSanitizer:" + summary.substr(summary.find(": ") + 1);
    if (!summary.empty()) return summary;
    if (!error.empty()) return error;
    return "the test process died";
}

// What kind of failure a report is: "AddressSanitizer: heap-buffer-overflow",
// "UndefinedBehaviorSanitizer: signed integer overflow", "LeakSanitizer: memory leak".
std::string report_kind(const std::string& headline) {
    const std::string ubsan = "UndefinedBehaviorSanitizer: ";
    if (headline.rfind(ubsan, 0) == 0) {
        std::string what = headline.substr(ubsan.size());
        return ubsan + what.substr(0, std::min(what.find(':'), what.rfind(" at ")));
    }
    if (headline.rfind("LeakSanitizer", 0) == 0) return "LeakSanitizer: memory leak";
    size_t space = headline.find(' ', headline.find(": ") + 2);
    return headline.substr(0, space);
}

// The report without what says nothing about the sample: the shadow memory map, and the stack
// frames of the harness, doctest and the C library.
std::string report_detail(const std::string& text) {
    static const char* const noise[] = {"harness.cpp:", "report_text.hpp:", "main.cpp:",
                                        "doctest.h:", "libc-start", "libc_start_call_main",
                                        " in _start ", "==ABORTING"};
    std::string out;
    bool shadow = false;
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("Shadow bytes around", 0) == 0) shadow = true;
        if (line.rfind("SUMMARY: ", 0) == 0) shadow = false;
        bool skip = shadow || line.find("=================") == 0;
        for (const char* word : noise) skip = skip || line.find(word) != std::string::npos;
        if (!skip) out += line + "\n";
    }
    return out;
}

}  // namespace
}  // namespace assay_harness
