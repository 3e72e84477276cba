// The GEMM tests' shared machinery (see gemm_support.h).
#include <algorithm>
#include <math.h>

#include "../cublas/floatbits.h"
#include "gemm_support.h"
#include "host_stub.h"
#include "testing.h"

Handle::Handle() {
    stub::set_current_device(0);
    EXPECT(cublasCreate_v2(&handle) == StatusSuccess, "cublasCreate_v2");
    EXPECT(cublasSetStream_v2(handle, stream) == StatusSuccess, "cublasSetStream_v2");
}

Handle::~Handle() { cublasDestroy_v2(handle); }

static size_t bytes_of(int type) { return type == R32F ? 4 : 2; }

float round_to(int type, float value) {
    if (type == R16F) return ep_emu::f16_to_f32(ep_emu::f32_to_f16(value));
    if (type == R16BF) return ep_emu::bf16_to_f32(ep_emu::f32_to_bf16(value));
    return value;
}

Operand::Operand(int t, size_t n, std::mt19937& rng, float fill, bool random) : type(t), elements(n) {
    device = stub::device_alloc(std::max<size_t>(n, 1) * bytes_of(t));
    std::uniform_real_distribution<float> uniform(-1, 1);
    for (size_t i = 0; i < n; i++) set(i, random ? uniform(rng) : fill);
}

Operand::~Operand() { stub::device_free(device); }

float Operand::get(size_t i) const {
    if (type == R32F) return static_cast<const float*>(device)[i];
    uint16_t bits = static_cast<const uint16_t*>(device)[i];
    return type == R16F ? ep_emu::f16_to_f32(bits) : ep_emu::bf16_to_f32(bits);
}

void Operand::set(size_t i, float v) {
    if (type == R32F) static_cast<float*>(device)[i] = v;
    else if (type == R16F) static_cast<uint16_t*>(device)[i] = ep_emu::f32_to_f16(v);
    else static_cast<uint16_t*>(device)[i] = ep_emu::f32_to_bf16(v);
}

std::string GemmCase::name() const {
    return testing::format("%s%s m=%d n=%d k=%d ld+%d/%d/%d alpha=%g beta=%g types %d->%d compute %d math %d batch %d",
                           transa ? "T" : "N", transb ? "T" : "N", m, n, k, lda_extra, ldb_extra, ldc_extra, alpha, beta,
                           ab_type, c_type, compute, math, batch);
}

double check_gemm(const GemmCase& g, unsigned seed) {
    std::mt19937 rng(seed);
    const int a_rows = g.transa == OpN ? g.m : g.k, a_cols = g.transa == OpN ? g.k : g.m;
    const int b_rows = g.transb == OpN ? g.k : g.n, b_cols = g.transb == OpN ? g.n : g.k;
    const int lda = std::max(1, a_rows) + g.lda_extra, ldb = std::max(1, b_rows) + g.ldb_extra, ldc = std::max(1, g.m) + g.ldc_extra;
    const int batches = std::max(1, g.batch);
    const int64_t stride_a = (int64_t)lda * a_cols + g.stride_extra, stride_b = (int64_t)ldb * b_cols + g.stride_extra,
                  stride_c = (int64_t)ldc * g.n + g.stride_extra;
    Operand a(g.ab_type, stride_a * batches, rng), b(g.ab_type, stride_b * batches, rng);
    Operand c(g.c_type, stride_c * batches, rng, g.nan_c ? NAN : 0, !g.nan_c);
    std::vector<float> c_before(c.elements);
    for (size_t i = 0; i < c.elements; i++) c_before[i] = c.get(i);

    Handle h;
    EXPECT(cublasSetMathMode(h.handle, g.math) == StatusSuccess, "cublasSetMathMode(%d)", g.math);
    int status = g.batch == 0
        ? cublasGemmEx(h.handle, g.transa, g.transb, g.m, g.n, g.k, &g.alpha, a.device, g.ab_type, lda, b.device,
                       g.ab_type, ldb, &g.beta, c.device, g.c_type, ldc, g.compute, GemmDefault)
        : cublasGemmStridedBatchedEx(h.handle, g.transa, g.transb, g.m, g.n, g.k, &g.alpha, a.device, g.ab_type, lda,
                                     stride_a, b.device, g.ab_type, ldb, stride_b, &g.beta, c.device, g.c_type, ldc,
                                     stride_c, g.batch, g.compute, GemmDefault);
    EXPECT(status == StatusSuccess, "%s: status %d", g.name().c_str(), status);
    EXPECT(stub::last_failure().empty(), "%s: %s", g.name().c_str(), stub::last_failure().c_str());

    const double output_ulp = g.c_type == R32F ? ldexp(1, -24) : g.c_type == R16F ? ldexp(1, -11) : ldexp(1, -8);
    const double input_error = g.expect_tf32 ? 2 * ldexp(1, -11) : 0;
    double worst = 0;
    int reported = 0;
    for (int batch = 0; batch < batches; batch++) {
        auto A = [&](int i, int l) {
            size_t at = batch * stride_a + (g.transa == OpN ? i + (size_t)l * lda : l + (size_t)i * lda);
            return a.get(at);
        };
        auto B = [&](int l, int j) {
            size_t at = batch * stride_b + (g.transb == OpN ? l + (size_t)j * ldb : j + (size_t)l * ldb);
            return b.get(at);
        };
        for (int j = 0; j < g.n; j++)
            for (int i = 0; i < ldc; i++) {
                size_t at = batch * stride_c + i + (size_t)j * ldc;
                float got = c.get(at);
                if (i >= g.m) {  // padding rows between m and ldc: never written
                    bool same = std::isnan(c_before[at]) ? std::isnan(got) : got == c_before[at];
                    if (!same && reported++ < 3) EXPECT(false, "%s: padding C[%d,%d] changed", g.name().c_str(), i, j);
                    continue;
                }
                double exact = 0, scale = 0;
                float chain = 0;  // the documented order: one f32 FMA per l, l ascending
                for (int l = 0; l < g.k; l++) {
                    exact += (double)A(i, l) * B(l, j);
                    scale += fabs((double)A(i, l) * B(l, j));
                    float x = A(i, l), y = B(l, j);
                    if (g.expect_tf32) x = ep_emu::round_tf32(x), y = ep_emu::round_tf32(y);
                    chain = fmaf(x, y, chain);
                }
                double expected = g.alpha * exact + (g.beta != 0 ? g.beta * (double)c_before[at] : 0);
                scale = fabs(g.alpha) * scale + (g.beta != 0 ? fabs(g.beta * c_before[at]) : 0);
                float model = g.beta == 0 ? g.alpha * chain : fmaf(g.alpha, chain, g.beta * c_before[at]);
                model = round_to(g.c_type, model);
                double bound = (input_error + (g.k + 3) * ldexp(1, -24)) * scale + output_ulp * fabs(expected) + ldexp(1, -24);
                double error = fabs(got - expected);
                if (scale > 0) worst = std::max(worst, error / scale);
                bool ok = error <= bound && (got == model || (std::isnan(got) && std::isnan(model)));
                if (!ok && reported++ < 3)
                    EXPECT(false, "%s: batch %d C[%d,%d] = %.9g, reference %.9g (bound %.3g), documented order gives %.9g",
                           g.name().c_str(), batch, i, j, got, expected, bound, model);
            }
    }
    return worst;
}
