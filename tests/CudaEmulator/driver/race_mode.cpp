// The race mode's setting: from EP_EMU_RACE at start ("reverse", "shuffle" or "shuffle:SEED"), or set by a test for
// the launches its own host thread runs (so that tests running beside it keep theirs).
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "emulator.h"

namespace emu
{
namespace
{
std::atomic<int> environment_mode{-1};
std::atomic<uint64_t> environment_seed{0};
thread_local int mode = -1;
thread_local uint64_t seed = 0;

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
    environment_seed = s;
    environment_mode = m;
}
}

void SetRaceMode(int value, uint64_t value_seed)
{
    seed = value_seed;
    mode = value;
}

int RaceMode()
{
    if (mode >= 0) return mode;
    if (environment_mode.load() < 0) ReadEnvironment();
    return environment_mode.load();
}

uint64_t RaceSeed() { return mode >= 0 ? seed : environment_seed.load(); }
}
