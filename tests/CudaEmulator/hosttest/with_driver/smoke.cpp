// The emulated cuBLAS and NCCL on the emulated driver (not the stub): a product checked against a reference,
// a product captured into a graph (reading its operands at each launch), an operand outside device memory
// failing the stream with a message naming it, and an all-reduce over two emulated devices.
#include <math.h>
#include <string.h>
#include <thread>
#include <vector>

#include "../api.h"
#include "../testing.h"

extern "C" {
int cuInit(unsigned flags);
int cuDeviceGetCount(int* count);
int cuDevicePrimaryCtxRetain(void** context, int device);
int cuCtxSetCurrent(void* context);
int cuStreamCreate(void** stream, unsigned flags);
int cuMemAlloc_v2(uint64_t* address, size_t bytes);
int cuMemcpyHtoD_v2(uint64_t destination, const void* source, size_t bytes);
int cuMemcpyDtoH_v2(void* destination, uint64_t source, size_t bytes);
int cuStreamSynchronize(void* stream);
int cuGetErrorString(int error, const char** text);
int cuStreamBeginCapture_v2(void* stream, int mode);
int cuStreamEndCapture(void* stream, void** graph);
int cuGraphInstantiateWithFlags(void** executable, void* graph, unsigned long long flags);
int cuGraphLaunch(void* executable, void* stream);
}

namespace {

#define CU(call) EXPECT((call) == 0, "driver call failed")

// Device `device` made current on this thread, with a stream of its own.
void* use_device(int device) {
    void* context = nullptr;
    void* stream = nullptr;
    CU(cuInit(0));
    CU(cuDevicePrimaryCtxRetain(&context, device));
    CU(cuCtxSetCurrent(context));
    CU(cuStreamCreate(&stream, 0));
    return stream;
}

uint64_t upload(const std::vector<float>& values) {
    uint64_t address = 0;
    CU(cuMemAlloc_v2(&address, values.size() * 4));
    CU(cuMemcpyHtoD_v2(address, values.data(), values.size() * 4));
    return address;
}

std::vector<float> download(uint64_t address, size_t count) {
    std::vector<float> values(count);
    CU(cuMemcpyDtoH_v2(values.data(), address, count * 4));
    return values;
}

const int m = 37, n = 29, k = 65;

struct Product {
    std::vector<float> a = std::vector<float>(m * k), b = std::vector<float>(k * n);
    Product() {
        for (int i = 0; i < m * k; i++) a[i] = sinf((float)i);
        for (int i = 0; i < k * n; i++) b[i] = cosf((float)i);
    }
    double worst_error(const std::vector<float>& c) const {
        double worst = 0;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double exact = 0;
                for (int l = 0; l < k; l++) exact += (double)a[i + l * m] * b[l + j * k];
                worst = fmax(worst, fabs(exact - c[i + j * m]));
            }
        return worst;
    }
};

int gemm(void* handle, uint64_t a, uint64_t b, uint64_t c, int compute) {
    float one = 1, zero = 0;
    return cublasGemmEx(handle, OpN, OpN, m, n, k, &one, (void*)a, R32F, m, (void*)b, R32F, k, &zero, (void*)c, R32F, m,
                        compute, GemmDefault);
}

}  // namespace

TEST(driver_gemm_matches_reference_and_replays_in_a_graph) {
    void* stream = use_device(0);
    Product p;
    uint64_t a = upload(p.a), b = upload(p.b), c = upload(std::vector<float>(m * n, NAN)), workspace = 0;
    CU(cuMemAlloc_v2(&workspace, 32 << 20));
    void* handle = nullptr;
    EXPECT(cublasCreate_v2(&handle) == 0 && cublasSetStream_v2(handle, stream) == 0, "handle");
    EXPECT(cublasSetWorkspace_v2(handle, (void*)workspace, 32 << 20) == 0, "workspace");
    EXPECT(gemm(handle, a, b, c, Compute32F) == 0, "gemm");
    CU(cuStreamSynchronize(stream));
    double error = p.worst_error(download(c, m * n));
    EXPECT(error < 1e-5, "f32 error %.3g", error);

    CU(cuStreamBeginCapture_v2(stream, 0));
    EXPECT(gemm(handle, a, b, c, Compute32F) == 0, "captured gemm");
    void* graph = nullptr;
    void* executable = nullptr;
    CU(cuStreamEndCapture(stream, &graph));
    CU(cuGraphInstantiateWithFlags(&executable, graph, 0));
    for (float& x : p.a) x = -x * 0.5f;  // the replay must read the new A
    CU(cuMemcpyHtoD_v2(a, p.a.data(), p.a.size() * 4));
    CU(cuGraphLaunch(executable, stream));
    CU(cuStreamSynchronize(stream));
    error = p.worst_error(download(c, m * n));
    EXPECT(error < 1e-5, "graph replay error %.3g", error);
    cublasDestroy_v2(handle);
}

TEST(driver_gemm_outside_device_memory_fails_the_stream) {
    void* stream = use_device(0);
    Product p;
    uint64_t a = upload(p.a), b = upload(p.b), c = upload(std::vector<float>(m * n));
    void* handle = nullptr;
    EXPECT(cublasCreate_v2(&handle) == 0 && cublasSetStream_v2(handle, stream) == 0, "handle");
    EXPECT(gemm(handle, a, b, c + 8, Compute32F) == 0, "the call itself succeeds");
    int result = cuStreamSynchronize(stream);
    const char* text = "";
    cuGetErrorString(result, &text);
    EXPECT(result == 700 && strstr(text, "cublasGemmEx") && strstr(text, "operand C"), "%d: %s", result, text);
    cublasDestroy_v2(handle);
}

TEST(driver_nccl_allreduce_over_two_devices) {
    int count = 0;
    CU(cuInit(0));
    CU(cuDeviceGetCount(&count));
    EXPECT(count >= 2, "EP_EMU_DEVICES=2 gives %d devices", count);
    if (count < 2) return;
    std::vector<ncclComm_t> comms(2);
    EXPECT(ncclCommInitAll(comms.data(), 2, nullptr) == ncclSuccess, "init");
    uint64_t buffers[2];
    void* streams[2];
    for (int d = 0; d < 2; d++) {
        streams[d] = use_device(d);
        buffers[d] = upload({1.0f + d, 2, 3, 4});
    }
    for (bool grouped : {true, false}) {
        std::vector<int> results(2, -1);
        auto call = [&](int d) { return ncclAllReduce((void*)buffers[d], (void*)buffers[d], 4, ncclFloat32, ncclSum, comms[d], streams[d]); };
        if (grouped) {
            ncclGroupStart();
            for (int d = 0; d < 2; d++) results[d] = call(d);
            EXPECT(ncclGroupEnd() == ncclSuccess, "group");
        } else {
            std::thread other([&] { use_device(1); results[1] = call(1); });
            results[0] = call(0);
            other.join();
        }
        EXPECT(results[0] == 0 && results[1] == 0, "grouped=%d: %d %d", grouped, results[0], results[1]);
    }
    std::vector<float> got = download(buffers[1], 4);  // two sums: ((1+2) * 2, 2*4, 3*4, 4*4)
    EXPECT(got[0] == 6 && got[1] == 8 && got[2] == 12 && got[3] == 16, "%g %g %g %g", got[0], got[1], got[2], got[3]);
    for (ncclComm_t comm : comms) ncclCommDestroy(comm);
}
