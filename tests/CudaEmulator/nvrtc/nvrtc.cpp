// The emulated NVRTC (libnvrtc.so.12). It compiles the very source and headers the engine hands it as host C++
// (prelude.cuh's emulation mode, -DEP_CUDA_EMULATION), with clang and AddressSanitizer's per-access calls, into a
// shared object the emulated driver loads; the "CUBIN" is that object behind a small header. Entry points are
// found by a preprocessing pass that keeps __global__ in the text; each gets a descriptor (ep_emu_export.h), and
// each `extern __shared__` array a definition at the largest size a block may opt in to.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#define EP_EXPORT extern "C" __attribute__((visibility("default")))

namespace
{
enum Result
{
    Success = 0,
    OutOfMemory = 1,
    ProgramCreationFailure = 2,
    InvalidInput = 3,
    InvalidProgram = 4,
    InvalidOption = 5,
    Compilation = 6,
    InternalError = 11,
};

struct Program
{
    std::string name;
    std::string source;
    std::vector<std::pair<std::string, std::string>> headers;   // include name, text
    std::string log;
    std::vector<char> image;
};

std::string LibraryFolder()
{
    Dl_info info{};
    if (dladdr((void*)&LibraryFolder, &info) && info.dli_fname)
    {
        std::string path = info.dli_fname;
        auto slash = path.rfind('/');
        if (slash != std::string::npos) return path.substr(0, slash);
    }
    return ".";
}

std::string Quote(const std::string& text)
{
    std::string quoted = "'";
    for (char c : text)
        if (c == '\'') quoted += "'\\''";
        else quoted += c;
    return quoted + "'";
}

// Runs a shell command; returns its exit status and appends what it printed to `output`.
int Run(const std::string& command, std::string& output)
{
    FILE* pipe = popen((command + " 2>&1").c_str(), "r");
    if (!pipe) return -1;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) output.append(buffer, n);
    int status = pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

bool WriteFile(const std::string& path, const std::string& text)
{
    std::ofstream out(path, std::ios::binary);
    out << text;
    return (bool)out;
}

std::string Compiler()
{
    if (const char* chosen = std::getenv("EP_EMU_CXX")) return chosen;
    std::string ignored;
    return Run("command -v clang-14", ignored) == 0 ? "clang-14" : "clang++";
}

void RemoveTree(const std::string& folder)
{
    std::string ignored;
    Run("rm -rf " + Quote(folder), ignored);
}

int Compile(Program& program, const std::vector<std::string>& options)
{
    std::string architecture = "90";
    std::vector<std::string> defines;
    for (const auto& option : options)
    {
        if (option.rfind("--gpu-architecture=sm_", 0) == 0) architecture = option.substr(22);
        else if (option.rfind("-arch=sm_", 0) == 0) architecture = option.substr(9);
        else if (option.rfind("-D", 0) == 0 || option.rfind("--define-macro=", 0) == 0)
            defines.push_back("-D" + option.substr(option[1] == 'D' ? 2 : 15));
        else if (option == "-std=c++17" || option == "-lineinfo" || option == "--generate-line-info" || option.rfind("--std=", 0) == 0 ||
            option == "-default-device" || option == "--use_fast_math")
            continue;
        else
        {
            program.log = "nvrtc (emulated): unknown option " + option + "\n";
            return InvalidOption;
        }
    }
    char folder_template[] = "/tmp/ep-emu-nvrtc-XXXXXX";
    if (!mkdtemp(folder_template)) return InternalError;
    std::string folder = folder_template;
    std::string file = program.name.empty() ? "kernel.cu" : program.name;
    if (file.find('/') != std::string::npos) file = file.substr(file.rfind('/') + 1);
    WriteFile(folder + "/" + file, program.source);
    for (const auto& [name, text] : program.headers) WriteFile(folder + "/" + name, text);

    std::string library = LibraryFolder();
    std::string include = std::getenv("EP_EMU_INCLUDE") ? std::getenv("EP_EMU_INCLUDE") : library + "/../include";
    std::string compiler = Compiler();
    std::string common = " -x c++ -std=c++17 -DEP_CUDA_EMULATION -D__CUDACC_RTC__ -D__CUDACC__ -D__CUDA_ARCH__=" + architecture + "0 -I" +
        Quote(folder) + " -I" + Quote(include);
    for (const auto& d : defines) common += " " + Quote(d);

    // Pass 1: the entry points and dynamic shared arrays, from the preprocessed text with __global__ kept.
    std::string preprocessed;
    if (Run(compiler + common + " -DEP_EMU_SCAN -E -P " + Quote(folder + "/" + file), preprocessed) != 0)
    {
        program.log = preprocessed;
        RemoveTree(folder);
        return Compilation;
    }
    std::vector<std::string> kernels;
    std::set<std::string> seen;
    std::regex global(R"(__global__\s+void\s+([A-Za-z_]\w*)\s*\()");
    for (auto it = std::sregex_iterator(preprocessed.begin(), preprocessed.end(), global); it != std::sregex_iterator(); ++it)
        if (seen.insert((*it)[1]).second) kernels.push_back((*it)[1]);
    std::map<std::string, std::string> dynamic;
    std::regex shared(R"(extern\s+(?:__shared__|thread_local)\s+(?:alignas\s*\(\s*\d+\s*\)\s+)?([A-Za-z_][\w\s\*]*?)\s+([A-Za-z_]\w*)\s*\[\s*\]\s*;)");
    for (auto it = std::sregex_iterator(preprocessed.begin(), preprocessed.end(), shared); it != std::sregex_iterator(); ++it)
        dynamic.emplace((*it)[2], (*it)[1]);

    std::ostringstream wrapper;
    wrapper << "#include \"" << file << "\"\n#include \"ep_emu_export.h\"\n";
    for (const auto& [name, type] : dynamic) wrapper << "EP_EMU_DYNAMIC_SHARED(" << type << ", " << name << ")\n";
    wrapper << "extern \"C\" __attribute__((visibility(\"default\"))) int ep_emu_module_dynamic_shared(void** arrays, int room)\n{\n    int n = 0;\n";
    for (const auto& entry : dynamic) wrapper << "    if (n < room) arrays[n++] = (void*)" << entry.first << ";\n";
    wrapper << "    return n;\n}\n";
    for (const auto& k : kernels) wrapper << "EP_EMU_EXPORT(" << k << ")\n";
    WriteFile(folder + "/ep_emu_module.cpp", wrapper.str());

    // Pass 2: the module, every load and store instrumented with a call the driver answers. Compiled, then linked
    // without the sanitizer's runtime: the driver provides the calls. -fwrapv: a 32-bit int product that overflows
    // wraps, as the GPU's 32-bit multiply does, instead of being widened by the host optimizer (its right under UB).
    std::string output;
    std::string compile = compiler + common + " -O2 -fwrapv -fPIC -fno-exceptions -fno-rtti -fsanitize=address" +
        " -mllvm -asan-instrumentation-with-call-threshold=0 -mllvm -asan-stack=0 -mllvm -asan-globals=0" +
        " -fno-sanitize-address-use-after-scope -c " + Quote(folder + "/ep_emu_module.cpp") + " -o " + Quote(folder + "/module.o");
    std::string link = compiler + " -shared " + Quote(folder + "/module.o") + " -o " + Quote(folder + "/module.so") + " -L" + Quote(library) +
        " -l:libcuda.so.1 -lm -Wl,-z,defs -Wl,-rpath," + Quote(library);
    int status = Run(compile, output);
    if (status == 0) status = Run(link, output);
    program.log = output;
    if (status != 0)
    {
        RemoveTree(folder);
        return Compilation;
    }
    std::ifstream in(folder + "/module.so", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    RemoveTree(folder);
    uint64_t length = bytes.size();
    program.image.assign(16 + bytes.size(), 0);
    std::memcpy(program.image.data(), "EPEMUSO1", 8);
    std::memcpy(program.image.data() + 8, &length, 8);
    std::memcpy(program.image.data() + 16, bytes.data(), bytes.size());
    return Success;
}
}

EP_EXPORT int nvrtcVersion(int* major, int* minor)
{
    if (!major || !minor) return InvalidInput;
    *major = 12;
    *minor = 8;
    return Success;
}

EP_EXPORT const char* nvrtcGetErrorString(int result)
{
    switch (result)
    {
    case Success: return "NVRTC_SUCCESS";
    case OutOfMemory: return "NVRTC_ERROR_OUT_OF_MEMORY";
    case ProgramCreationFailure: return "NVRTC_ERROR_PROGRAM_CREATION_FAILURE";
    case InvalidInput: return "NVRTC_ERROR_INVALID_INPUT";
    case InvalidProgram: return "NVRTC_ERROR_INVALID_PROGRAM";
    case InvalidOption: return "NVRTC_ERROR_INVALID_OPTION";
    case Compilation: return "NVRTC_ERROR_COMPILATION";
    case InternalError: return "NVRTC_ERROR_INTERNAL_ERROR";
    default: return "NVRTC_ERROR unknown";
    }
}

EP_EXPORT int nvrtcCreateProgram(void** program, const char* source, const char* name, int header_count, const char* const* headers,
    const char* const* include_names)
{
    if (!program || !source || header_count < 0 || (header_count > 0 && (!headers || !include_names))) return InvalidInput;
    auto* p = new Program();
    p->source = source;
    p->name = name ? name : "default_program";
    for (int i = 0; i < header_count; i++)
    {
        if (!headers[i] || !include_names[i]) return InvalidInput;
        p->headers.emplace_back(include_names[i], headers[i]);
    }
    *program = p;
    return Success;
}

EP_EXPORT int nvrtcCompileProgram(void* program, int option_count, const char* const* options)
{
    if (!program) return InvalidProgram;
    if (option_count < 0 || (option_count > 0 && !options)) return InvalidInput;
    std::vector<std::string> list;
    for (int i = 0; i < option_count; i++) list.emplace_back(options[i] ? options[i] : "");
    return Compile(*(Program*)program, list);
}

EP_EXPORT int nvrtcGetProgramLogSize(void* program, size_t* size)
{
    if (!program || !size) return InvalidInput;
    *size = ((Program*)program)->log.size() + 1;
    return Success;
}

EP_EXPORT int nvrtcGetProgramLog(void* program, char* log)
{
    if (!program || !log) return InvalidInput;
    const auto& text = ((Program*)program)->log;
    std::memcpy(log, text.c_str(), text.size() + 1);
    return Success;
}

EP_EXPORT int nvrtcGetCUBINSize(void* program, size_t* size)
{
    if (!program || !size) return InvalidInput;
    auto* p = (Program*)program;
    if (p->image.empty()) return InvalidProgram;
    *size = p->image.size();
    return Success;
}

EP_EXPORT int nvrtcGetCUBIN(void* program, char* cubin)
{
    if (!program || !cubin) return InvalidInput;
    auto* p = (Program*)program;
    if (p->image.empty()) return InvalidProgram;
    std::memcpy(cubin, p->image.data(), p->image.size());
    return Success;
}

EP_EXPORT int nvrtcDestroyProgram(void** program)
{
    if (!program || !*program) return InvalidProgram;
    delete (Program*)*program;
    *program = nullptr;
    return Success;
}
