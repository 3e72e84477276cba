// The host tests' small framework: TEST(name) registers a case, EXPECT(cond, fmt, ...) records a failure
// with its location (the case goes on), and the runner (test_main.cpp) prints each failed case and the
// final "N passed, N failed" line.
#pragma once
#include <stdio.h>
#include <string>
#include <vector>

namespace testing {

struct Case { const char* name; void (*run)(); };
std::vector<Case>& cases();
void record_failure(const char* file, int line, const std::string& message);

struct Register {
    Register(const char* name, void (*run)()) { cases().push_back({name, run}); }
};

std::string format(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace testing

#define TEST(name)                                                  \
    static void test_##name();                                      \
    static testing::Register register_##name(#name, test_##name);   \
    static void test_##name()

#define EXPECT(condition, ...)                                                                  \
    do {                                                                                        \
        if (!(condition))                                                                       \
            testing::record_failure(__FILE__, __LINE__, std::string(#condition) + ": " + testing::format(__VA_ARGS__)); \
    } while (0)
