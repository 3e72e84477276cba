// What the GEMM tests share: a cuBLAS handle on a test stream, operands in (stub) device memory with their
// stored values, and the check of one product against a double-precision reference (within the f32 or TF32
// error bound) and, bit for bit, against the documented FMA-chain order.
#pragma once
#include <random>
#include <string>
#include <vector>

#include "api.h"

struct Handle {
    void* handle = nullptr;
    void* stream = reinterpret_cast<void*>(0x5157);  // any value: the stub runs work at once
    Handle();
    ~Handle();
};

// A column-major operand in device memory; `fill` is NAN or a value, else random in [-1, 1] (rounded to type).
struct Operand {
    int type;
    size_t elements;
    void* device;
    Operand(int type, size_t elements, std::mt19937& rng, float fill = 0, bool random = true);
    ~Operand();
    Operand(const Operand&) = delete;
    Operand& operator=(const Operand&) = delete;
    float get(size_t index) const;
    void set(size_t index, float value);
};

float round_to(int type, float value);  // what storing `value` as `type` keeps

struct GemmCase {
    int transa = OpN, transb = OpN, m = 1, n = 1, k = 1;
    int lda_extra = 0, ldb_extra = 0, ldc_extra = 0;
    float alpha = 1, beta = 0;
    int ab_type = R32F, c_type = R32F, compute = Compute32F, math = MathDefault;
    int batch = 0;                     // 0: cublasGemmEx; else cublasGemmStridedBatchedEx with this count
    int64_t stride_extra = 0;          // extra elements between batches
    bool nan_c = false;                // fill C with NaN (only meaningful with beta = 0)
    bool expect_tf32 = false;          // the inputs should be rounded to TF32
    std::string name() const;
};

// Runs `gemm` and checks every batch's C (and that C's padding rows are untouched); returns the largest error
// relative to sum |alpha a b| + |beta c| seen, for tests that compare error sizes.
double check_gemm(const GemmCase& gemm, unsigned seed = 1);
