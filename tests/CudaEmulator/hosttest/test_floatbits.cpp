// The conversions every emulated library relies on (cublas/floatbits.h), against independent references:
// the compiler's _Float16 for f16, and nearest-value searches in double for bf16 and TF32.
#include <math.h>
#include <stdint.h>

#include "../cublas/floatbits.h"
#include "testing.h"

namespace {

uint16_t half_bits(_Float16 h) { uint16_t b; memcpy(&b, &h, 2); return b; }
_Float16 half_of(uint16_t b) { _Float16 h; memcpy(&h, &b, 2); return h; }

// The nearest value of the form m * 2^e with `bits` significant bits to x; ties go to even m, or away from zero.
double nearest(double x, int bits, bool ties_away) {
    if (x == 0 || !std::isfinite(x)) return x;
    int exponent;
    frexp(x, &exponent);
    double unit = ldexp(1.0, exponent - bits);
    double low = floor(x / unit) * unit, high = low + unit;
    double dl = x - low, dh = high - x;
    if (dl < dh) return low;
    if (dh < dl) return high;
    if (ties_away) return x > 0 ? high : low;
    return fmod(low / unit, 2.0) == 0 ? low : high;
}

// Float bit patterns spread over the whole range, plus the interesting neighbourhoods.
template <class F> void for_sample_floats(F f) {
    for (uint64_t x = 0; x <= 0xFFFFFFFFull; x += 65521) f((uint32_t)x);
    const uint32_t centers[] = {0x3F800000u, 0x477FE000u, 0x477FF000u, 0x38800000u, 0x33000000u, 0x7F7FFFFFu, 0x00000001u};
    for (uint32_t c : centers)
        for (int d = -4100; d <= 4100; d++) {
            f(c + (uint32_t)d);
            f((c + (uint32_t)d) | 0x80000000u);
        }
}

}  // namespace

TEST(f16_to_f32_matches_Float16_for_every_pattern) {
    int bad = 0;
    for (uint32_t h = 0; h < 65536; h++) {
        float ours = ep_emu::f16_to_f32((uint16_t)h), theirs = (float)half_of((uint16_t)h);
        bool same = std::isnan(theirs) ? std::isnan(ours) : ep_emu::f32_bits(ours) == ep_emu::f32_bits(theirs);
        if (!same && bad++ < 3) EXPECT(same, "h=0x%04x: ours %g, _Float16 %g", h, ours, theirs);
    }
}

TEST(f32_to_f16_rounds_like_Float16) {
    int bad = 0;
    for_sample_floats([&](uint32_t x) {
        float f = ep_emu::f32_from_bits(x);
        uint16_t ours = ep_emu::f32_to_f16(f), theirs = half_bits((_Float16)f);
        bool same = std::isnan(f) ? std::isnan((float)half_of(ours)) : ours == theirs;
        if (!same && bad++ < 3) EXPECT(same, "x=0x%08x: ours 0x%04x, _Float16 0x%04x", x, ours, theirs);
    });
}

TEST(f32_to_bf16_rounds_to_nearest_even) {
    int bad = 0;
    for_sample_floats([&](uint32_t x) {
        float f = ep_emu::f32_from_bits(x);
        if (fabsf(f) < ldexpf(1, -126)) return;  // the double search models normal numbers only
        float ours = ep_emu::bf16_to_f32(ep_emu::f32_to_bf16(f));
        double expected = nearest(f, 8, false);
        if (fabs(expected) >= ldexp(511.0 / 256, 127)) expected = copysign(INFINITY, f);  // from the midpoint above the largest bf16
        bool same = std::isnan(f) ? std::isnan(ours) : (double)ours == expected;
        if (!same && bad++ < 3) EXPECT(same, "x=0x%08x: ours %.9g, expected %.9g", x, ours, expected);
    });
}

TEST(tf32_rounds_to_nearest_with_ties_away_from_zero) {
    using ep_emu::round_tf32;
    EXPECT(round_tf32(1.0f + ldexpf(1, -11)) == 1.0f + ldexpf(1, -10), "a tie rounds away from zero");
    EXPECT(round_tf32(-1.0f - ldexpf(1, -11)) == -1.0f - ldexpf(1, -10), "a negative tie rounds away from zero");
    EXPECT(round_tf32(1.0f + ldexpf(1, -12)) == 1.0f, "below a tie rounds down");
    EXPECT(round_tf32(1.0f + 3 * ldexpf(1, -11)) == 1.0f + ldexpf(1, -9), "a tie above an odd mantissa also rounds up (not to even)");
    EXPECT(std::isinf(round_tf32(INFINITY)) && std::isnan(round_tf32(NAN)), "infinity and NaN pass");
    int bad = 0;
    for_sample_floats([&](uint32_t x) {
        float f = ep_emu::f32_from_bits(x);
        if (!std::isfinite(f) || fabsf(f) < ldexpf(1, -126)) return;  // the double search models normal numbers only
        double expected = nearest(f, 11, true);
        if (fabs(expected) >= ldexp(1.0, 128)) expected = copysign(INFINITY, f);
        float ours = round_tf32(f);
        if ((double)ours != expected && bad++ < 3) EXPECT(false, "x=0x%08x: ours %.9g, expected %.9g", x, ours, expected);
    });
}
