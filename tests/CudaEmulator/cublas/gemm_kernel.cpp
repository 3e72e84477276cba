// The GEMM work as the stream runs it: range checks of every operand of every batch, then the product.
//
// Numerics (fixed, so results are reproducible across runs and machines):
// - A and B are widened to f32, and rounded to TF32 when the call asked for TF32 inputs (gemm_api.cpp decides):
//   to nearest with ties away from zero, as cvt.rna.tf32.f32 does. This is a choice: a tensor-core mma fed
//   unconverted f32 would drop the low 13 bits instead; rounding gives the smaller, symmetric error;
// - each element of C has one f32 accumulator that starts at 0 and takes acc = fma(a[i,l], b[l,j], acc) for
//   l = 0, 1, ..., k-1 in that order (one rounding per step, as a GPU's FMA chain; no pairwise or split-k sums);
// - the result is alpha*acc when beta == 0 (C is not read, so NaN in C does not propagate) and
//   fma(alpha, acc, beta*c) otherwise; when alpha == 0 (or k == 0) A and B are not read, as in BLAS;
// - f16/bf16 outputs are rounded from that f32 once, to nearest even.
#include <algorithm>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <vector>

#include "cublas_internal.h"
#include "ep_emu_host.h"
#include "floatbits.h"

namespace ep_cublas {
namespace {

constexpr int kRowBlock = 64;  // rows of C computed together: the inner loop over them vectorizes

float load(uint64_t address, int type, size_t index) {
    switch (type) {
        case kR32F: return reinterpret_cast<const float*>(address)[index];
        case kR16F: return ep_emu::f16_to_f32(reinterpret_cast<const uint16_t*>(address)[index]);
        default: return ep_emu::bf16_to_f32(reinterpret_cast<const uint16_t*>(address)[index]);
    }
}

void store(uint64_t address, int type, size_t index, float value) {
    switch (type) {
        case kR32F: reinterpret_cast<float*>(address)[index] = value; break;
        case kR16F: reinterpret_cast<uint16_t*>(address)[index] = ep_emu::f32_to_f16(value); break;
        default: reinterpret_cast<uint16_t*>(address)[index] = ep_emu::f32_to_bf16(value); break;
    }
}

const char* short_type(int type) { return type == kR32F ? "f32" : type == kR16F ? "f16" : "bf16"; }

// Checks one stored column-major matrix (rows x cols, leading dimension ld) of batch `index`; on failure, fails
// the work with a message naming the operand, its shape and the driver's reason (the driver puts the work's
// name, the call, in front).
bool check_operand(const GemmWork& w, const char* operand, uint64_t base, int type, int rows, int cols, int ld,
                   int64_t stride, int index) {
    if (rows == 0 || cols == 0) return true;
    size_t bytes_per = element_bytes(type);
    uint64_t address = base + (uint64_t)(stride * (int64_t)index * (int64_t)bytes_per);
    uint64_t bytes = ((uint64_t)(cols - 1) * (uint64_t)ld + (uint64_t)rows) * bytes_per;
    char why[256] = "";
    if (ep_emu_check_range(address, bytes, why, sizeof why)) return true;
    char message[640];
    snprintf(message, sizeof message,
             "operand %s (%s, stored %dx%d column-major with ld=%d, batch %d of %d) at 0x%" PRIx64
             " + %" PRIu64 " bytes is outside device memory: %s",
             operand, short_type(type), rows, cols, ld, index, w.batch, address, bytes, why);
    ep_emu_fail(message);
    return false;
}

// acc[0..kRowBlock) += a_panel[l][0..kRowBlock) * b_column[l] for l = 0..k-1, one FMA per step. Built for
// hosts with FMA instructions and without (the fma() fallback rounds the same), chosen at load time.
__attribute__((target_clones("fma", "default")))
void accumulate(float* __restrict acc, const float* __restrict a_panel, const float* __restrict b_column, int k,
                int panel_stride) {
    for (int l = 0; l < k; l++) {
        const float* __restrict a = a_panel + (size_t)l * panel_stride;
        float b = b_column[l];
        for (int i = 0; i < kRowBlock; i++) acc[i] = fmaf(a[i], b, acc[i]);
    }
}

void multiply(const GemmWork& w, uint64_t a, uint64_t b, uint64_t c, std::vector<float>& ap, std::vector<float>& bp) {
    const int m = w.m, n = w.n, k = w.k;
    const bool products = k > 0 && w.alpha != 0.0f;
    const int padded_m = (m + kRowBlock - 1) / kRowBlock * kRowBlock;
    if (products) {
        // op(A) as a column-major padded_m x k panel (zero rows past m), op(B) as k-contiguous columns.
        ap.assign((size_t)padded_m * k, 0.0f);
        bp.resize((size_t)n * k);
        for (int l = 0; l < k; l++)
            for (int i = 0; i < m; i++) {
                size_t index = w.transa == kOpN ? (size_t)i + (size_t)l * w.lda : (size_t)l + (size_t)i * w.lda;
                float v = load(a, w.atype, index);
                ap[(size_t)l * padded_m + i] = w.tf32 ? ep_emu::round_tf32(v) : v;
            }
        for (int j = 0; j < n; j++)
            for (int l = 0; l < k; l++) {
                size_t index = w.transb == kOpN ? (size_t)l + (size_t)j * w.ldb : (size_t)j + (size_t)l * w.ldb;
                float v = load(b, w.btype, index);
                bp[(size_t)j * k + l] = w.tf32 ? ep_emu::round_tf32(v) : v;
            }
    }
    float acc[kRowBlock];
    for (int i0 = 0; i0 < m; i0 += kRowBlock) {
        int rows = std::min(kRowBlock, m - i0);
        for (int j = 0; j < n; j++) {
            std::fill(acc, acc + kRowBlock, 0.0f);
            if (products) accumulate(acc, ap.data() + i0, bp.data() + (size_t)j * k, k, padded_m);
            for (int i = 0; i < rows; i++) {
                size_t index = (size_t)(i0 + i) + (size_t)j * w.ldc;
                float d = w.beta == 0.0f ? w.alpha * acc[i] : fmaf(w.alpha, acc[i], w.beta * load(c, w.ctype, index));
                store(c, w.ctype, index, d);
            }
        }
    }
}

}  // namespace

void run_gemm(void* state) {
    const GemmWork& w = *static_cast<const GemmWork*>(state);
    const bool reads_ab = w.k > 0 && w.alpha != 0.0f;
    const int a_rows = w.transa == kOpN ? w.m : w.k, a_cols = w.transa == kOpN ? w.k : w.m;
    const int b_rows = w.transb == kOpN ? w.k : w.n, b_cols = w.transb == kOpN ? w.n : w.k;
    // Every range first, so a bad operand fails the work before any of C is written.
    for (int index = 0; index < w.batch; index++) {
        if (reads_ab && !check_operand(w, "A", w.a, w.atype, a_rows, a_cols, w.lda, w.stride_a, index)) return;
        if (reads_ab && !check_operand(w, "B", w.b, w.btype, b_rows, b_cols, w.ldb, w.stride_b, index)) return;
        if (!check_operand(w, "C", w.c, w.ctype, w.m, w.n, w.ldc, w.stride_c, index)) return;
    }
    std::vector<float> ap, bp;
    for (int index = 0; index < w.batch; index++) {
        auto offset = [&](int64_t stride, int type) { return (uint64_t)(stride * (int64_t)index * (int64_t)element_bytes(type)); };
        multiply(w, w.a + offset(w.stride_a, w.atype), w.b + offset(w.stride_b, w.btype), w.c + offset(w.stride_c, w.ctype), ap, bp);
    }
}

}  // namespace ep_cublas
