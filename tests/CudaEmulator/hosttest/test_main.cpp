// Runs every registered host test case (optionally only those whose name contains argv[1]) and prints
// "N passed, N failed"; exits 1 when any case failed.
#include <stdarg.h>
#include <string.h>

#include "testing.h"

namespace testing {

namespace {
std::vector<std::string> current_failures;
}

std::vector<Case>& cases() {
    static std::vector<Case> all;
    return all;
}

void record_failure(const char* file, int line, const std::string& message) {
    current_failures.push_back(std::string(file) + ":" + std::to_string(line) + ": " + message);
}

std::string format(const char* fmt, ...) {
    char text[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof text, fmt, args);
    va_end(args);
    return text;
}

}  // namespace testing

int main(int argc, char** argv) {
    int passed = 0, failed = 0;
    for (const testing::Case& c : testing::cases()) {
        if (argc > 1 && !strstr(c.name, argv[1])) continue;
        testing::current_failures.clear();
        c.run();
        if (testing::current_failures.empty()) {
            passed++;
            printf("ok   %s\n", c.name);
        } else {
            failed++;
            printf("FAIL %s\n", c.name);
            for (const std::string& f : testing::current_failures) printf("     %s\n", f.c_str());
        }
        fflush(stdout);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
