// GEMM results: every op combination over odd shapes and padded leading dimensions, alpha/beta (beta = 0 over
// a NaN-filled C), f16/bf16 operands and outputs, strided batches, k = 0 and alpha = 0, and TF32 inputs
// (exact known cases, the error bound, and which compute types / math modes select it).
#include <math.h>

#include "ep_emu_host.h"
#include "gemm_support.h"
#include "host_stub.h"
#include "testing.h"

namespace {
const int kShapes[][3] = {{1, 1, 1}, {3, 17, 65}, {17, 3, 1}, {65, 65, 17}, {1, 65, 3}, {17, 1, 65}};
}

TEST(gemm_f32_every_op_shape_ld_alpha_beta) {
    const float scalars[][2] = {{1, 0}, {0.5f, -2}, {-1.25f, 1}};
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (auto& shape : kShapes)
                for (int extra = 0; extra <= 3; extra += 3)
                    for (auto& s : scalars) {
                        GemmCase g;
                        g.transa = ta, g.transb = tb, g.m = shape[0], g.n = shape[1], g.k = shape[2];
                        g.lda_extra = extra, g.ldb_extra = extra * 2, g.ldc_extra = extra + 1;
                        g.alpha = s[0], g.beta = s[1], g.nan_c = s[1] == 0;
                        check_gemm(g);
                    }
}

TEST(gemm_16bit_inputs_and_outputs) {
    const int types[][2] = {{R16BF, R16BF}, {R16BF, R32F}, {R16F, R16F}, {R16F, R32F}};
    for (auto& t : types)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++)
                for (auto& shape : kShapes)
                    for (float beta : {0.0f, 0.75f}) {
                        GemmCase g;
                        g.ab_type = t[0], g.c_type = t[1];
                        g.transa = ta, g.transb = tb, g.m = shape[0], g.n = shape[1], g.k = shape[2];
                        g.lda_extra = 2, g.ldc_extra = 1, g.alpha = 1.5f, g.beta = beta, g.nan_c = beta == 0;
                        check_gemm(g);
                    }
}

TEST(gemm_strided_batched_three) {
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++)
            for (int type : {R32F, R16BF}) {
                GemmCase g;
                g.transa = ta, g.transb = tb, g.m = 17, g.n = 3, g.k = 65, g.batch = 3, g.stride_extra = 5;
                g.ab_type = type, g.c_type = type, g.alpha = 0.5f, g.beta = 2, g.ldc_extra = 2;
                check_gemm(g);
            }
}

TEST(gemm_larger_product) {
    GemmCase g;
    g.transa = OpT, g.m = 200, g.n = 150, g.k = 300, g.beta = 1;
    check_gemm(g);
}

TEST(gemm_k_zero_scales_c_and_alpha_zero_reads_no_operand) {
    GemmCase g;
    g.m = 5, g.n = 4, g.k = 0, g.beta = -3;
    check_gemm(g);
    // alpha = 0: A and B hold NaN, which must not reach C (BLAS does not read them).
    std::mt19937 rng(3);
    Operand a(R32F, 25, rng, NAN, false), b(R32F, 25, rng, NAN, false), c(R32F, 25, rng, 2, false);
    Handle h;
    float alpha = 0, beta = 0.5f;
    EXPECT(cublasGemmEx(h.handle, OpN, OpN, 5, 5, 5, &alpha, a.device, R32F, 5, b.device, R32F, 5, &beta, c.device, R32F, 5,
                        Compute32F, GemmDefault) == StatusSuccess, "alpha = 0");
    for (int i = 0; i < 25; i++) EXPECT(c.get(i) == 1.0f, "C[%d] = %g, want beta*C = 1", i, c.get(i));
}

TEST(gemm_tf32_known_product) {
    // A = [1 + 2^-11], B = [1]: TF32 rounds A's tie away from zero to 1 + 2^-10, so the TF32 product is
    // 2^-11 larger than the f32 one; -A gives -(1 + 2^-10); 1 + 2^-12 rounds down to 1.
    struct Case { float a; int compute, math; float want; };
    const float tie = 1 + ldexpf(1, -11), up = 1 + ldexpf(1, -10);
    const Case cases[] = {
        {tie, Compute32F, MathDefault, tie},
        {tie, Compute32FFastTf32, MathDefault, up},
        {-tie, Compute32FFastTf32, MathDefault, -up},
        {1 + ldexpf(1, -12), Compute32FFastTf32, MathDefault, 1},
        {tie, Compute32F, MathTf32, up},            // the TF32 math mode turns plain 32F into TF32
        {tie, Compute32FPedantic, MathTf32, tie},   // ... but not the pedantic compute type
        {tie, Compute32FFastTf32, MathPedantic, tie},  // the pedantic math mode overrides FAST_TF32
    };
    std::mt19937 rng(4);
    for (const Case& c : cases) {
        Operand a(R32F, 1, rng, c.a, false), b(R32F, 1, rng, 1, false), out(R32F, 1, rng, NAN, false);
        Handle h;
        EXPECT(cublasSetMathMode(h.handle, c.math) == StatusSuccess, "math mode");
        float alpha = 1, beta = 0;
        EXPECT(cublasGemmEx(h.handle, OpN, OpN, 1, 1, 1, &alpha, a.device, R32F, 1, b.device, R32F, 1, &beta, out.device,
                            R32F, 1, c.compute, GemmDefault) == StatusSuccess, "gemm");
        EXPECT(out.get(0) == c.want, "a=%.9g compute %d math %d: got %.9g, want %.9g (difference %.3g)", c.a, c.compute,
               c.math, out.get(0), c.want, out.get(0) - c.want);
    }
}

TEST(gemm_tf32_error_bound_and_f32_is_tighter) {
    GemmCase g;
    g.m = 33, g.n = 17, g.k = 65, g.transb = OpT;
    double f32_error = check_gemm(g, 7);
    g.compute = Compute32FFastTf32, g.expect_tf32 = true;
    double tf32_error = check_gemm(g, 7);  // check_gemm holds it to (2 * 2^-11 + (k+3) * 2^-24) * sum|a||b|
    EXPECT(tf32_error <= 2 * ldexp(1, -11) + 68 * ldexp(1, -24), "TF32 relative error %.3g", tf32_error);
    EXPECT(f32_error <= 68 * ldexp(1, -24), "f32 relative error %.3g", f32_error);
    EXPECT(f32_error * 16 < tf32_error, "f32 error %.3g should be far below TF32's %.3g", f32_error, tf32_error);
}

TEST(gemm_reads_operands_when_the_stream_runs_it_and_alpha_at_the_call) {
    std::mt19937 rng(8);
    Operand a(R32F, 1, rng, 2, false), b(R32F, 1, rng, 3, false), c(R32F, 1, rng, -1, false);
    Handle h;
    float alpha = 1, beta = 0;
    stub::set_deferred(true);
    EXPECT(cublasGemmEx(h.handle, OpN, OpN, 1, 1, 1, &alpha, a.device, R32F, 1, b.device, R32F, 1, &beta, c.device, R32F, 1,
                        Compute32F, GemmDefault) == StatusSuccess, "queued");
    EXPECT(c.get(0) == -1, "C written at call time");
    a.set(0, 5);      // work queued before the product: the product must see it
    alpha = 100;      // host pointer mode: alpha was read at the call
    ep_emu_flush(h.stream);
    stub::set_deferred(false);
    EXPECT(c.get(0) == 15, "C = %g, want 1 * 5 * 3", c.get(0));
}
