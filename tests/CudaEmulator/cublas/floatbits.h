// Bit-exact conversions between f32 and the narrower formats the emulated libraries read and write (f16,
// bf16, TF32), done in integer arithmetic so the result does not depend on the host's compiler or FPU flags.
// Shared by cuBLAS (GEMM operands) and NCCL (reductions over f16/bf16); everything is inline.
#pragma once
#include <stdint.h>
#include <string.h>
#include <math.h>

namespace ep_emu {

inline uint32_t f32_bits(float f) { uint32_t x; memcpy(&x, &f, 4); return x; }
inline float f32_from_bits(uint32_t x) { float f; memcpy(&f, &x, 4); return f; }

inline float bf16_to_f32(uint16_t h) { return f32_from_bits((uint32_t)h << 16); }

// Round to nearest even; NaN stays NaN (quieted, sign and top payload bits kept), overflow becomes infinity.
inline uint16_t f32_to_bf16(float f) {
    uint32_t x = f32_bits(f);
    if ((x & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((x >> 16) | 0x40u);
    return (uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

inline float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, e = (h >> 10) & 0x1Fu, m = h & 0x3FFu;
    if (e == 0x1F) return f32_from_bits(sign | 0x7F800000u | (m << 13));
    if (e == 0) {
        float v = ldexpf((float)m, -24);  // subnormal (or zero): m units of 2^-24, exact in f32
        return sign ? -v : v;
    }
    return f32_from_bits(sign | ((e + 112u) << 23) | (m << 13));
}

// Round to nearest even, with f16 subnormals; values from 65520 up (the midpoint above 65504) become infinity.
inline uint16_t f32_to_f16(float f) {
    uint32_t x = f32_bits(f), sign = (x >> 16) & 0x8000u, ax = x & 0x7FFFFFFFu;
    if (ax > 0x7F800000u) return (uint16_t)(sign | 0x7E00u | ((ax >> 13) & 0x3FFu));
    if (ax >= 0x477FF000u) return (uint16_t)(sign | 0x7C00u);
    if (ax >= 0x38800000u) {  // normal in f16: re-bias the exponent, round the 13 dropped mantissa bits
        uint32_t r = ax - 0x38000000u;
        return (uint16_t)(sign | ((r + 0x0FFFu + ((r >> 13) & 1u)) >> 13));
    }
    // Subnormal in f16: the result counts units of 2^-24, i.e. the 24-bit significand shifted right.
    uint32_t e = ax >> 23, shift = 126u - e;
    if (e == 0 || shift > 24) return (uint16_t)sign;
    uint32_t m = (ax & 0x7FFFFFu) | 0x800000u, q = m >> shift, rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) q++;
    return (uint16_t)(sign | q);
}

// TF32 as tensor cores take it: 10 explicit mantissa bits, rounded to nearest with ties away from zero
// (PTX cvt.rna.tf32.f32), kept in an f32 whose low 13 bits are zero. Infinity and NaN pass unchanged.
inline float round_tf32(float f) {
    uint32_t x = f32_bits(f);
    if ((x & 0x7F800000u) == 0x7F800000u) return f;
    return f32_from_bits((x + 0x1000u) & 0xFFFFE000u);
}

}  // namespace ep_emu
