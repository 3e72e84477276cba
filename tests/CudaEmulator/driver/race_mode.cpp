// The race mode's setting: from EP_EMU_RACE at start ("reverse", "shuffle" or "shuffle:SEED"), or set by a test.
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "emulator.h"

namespace emu
{
namespace
{
std::atomic<int> mode{-1};
std::atomic<uint64_t> seed{0};

void ReadEnvironment()
{
    int m = 0;
    uint64_t s = 1;
    if (const char* text = std::getenv("EP_EMU_RACE"))
    {
        if (std::strcmp(text, "reverse") == 0) m = 1;
        else if (std::strncmp(text, "shuffle", 7) == 0)
        {
            m = 2;
            if (text[7] == ':') s = std::strtoull(text + 8, nullptr, 10);
        }
    }
    seed = s;
    int expected = -1;
    mode.compare_exchange_strong(expected, m);
}
}

void SetRaceMode(int value, uint64_t value_seed)
{
    seed = value_seed;
    mode = value;
}

int RaceMode()
{
    if (mode.load() < 0) ReadEnvironment();
    return mode.load();
}

uint64_t RaceSeed() { return seed.load(); }
}
