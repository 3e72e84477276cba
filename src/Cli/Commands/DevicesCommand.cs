using System.CommandLine;
using System.Text.Json.Nodes;
using EdgePruning.Runtime.Cuda;
using EdgePruning.Runtime.Cuda.Native;

namespace EdgePruning.Cli.Commands;

/// <summary>
/// <c>edgeprune devices</c>: the GPUs the CUDA driver offers (name, memory, compute capability, driver
/// version), or a clear statement that none is usable and why (the CPU engine still works).
/// </summary>
public static class DevicesCommand
{
    public static Command Create()
    {
        var command = new Command("devices", "list the CUDA devices, or say why none is usable");
        command.SetAction(parse =>
        {
            CudaEnvironment? cuda = null;
            string? reason = null;
            try
            {
                cuda = CudaDevices.Query();
                if (cuda.Devices.Count == 0) reason = $"the driver ({cuda.DriverLibrary}, CUDA {cuda.DriverVersionText}) reports no device";
            }
            catch (CudaUnavailableException e)
            {
                reason = e.Message;
            }
            var libraries = CudaLibraryVersions.Query();
            string? emulator = reason is null ? CudaLibraryResolver.EmulatorVersion() : null;
            var json = new JsonObject
            {
                ["emulated"] = emulator is not null,
                ["emulator"] = emulator,
                ["usable"] = reason is null,
                ["reason"] = reason,
                ["driver_library"] = cuda?.DriverLibrary,
                ["driver_cuda_version"] = cuda?.DriverVersionText,
                ["devices"] = new JsonArray((cuda?.Devices ?? []).Select(d => (JsonNode)new JsonObject
                {
                    ["ordinal"] = d.Ordinal, ["name"] = d.Name, ["memory_bytes"] = d.TotalMemoryBytes,
                    ["compute_capability"] = $"{d.ComputeMajor}.{d.ComputeMinor}", ["multiprocessors"] = d.Multiprocessors,
                }).ToArray()),
                ["libraries"] = new JsonArray(libraries.Select(l => (JsonNode)new JsonObject
                {
                    ["name"] = l.Name, ["path"] = l.Path, ["version"] = l.Version, ["problem"] = l.Problem,
                }).ToArray()),
            };
            return CommandOutput.Emit(parse, json, o =>
            {
                if (reason is not null)
                {
                    o.WriteLine($"no CUDA device is usable: {reason}");
                    o.WriteLine("the CPU engine is used instead");
                }
                else
                {
                    o.WriteLine($"driver         {cuda!.DriverLibrary} (CUDA {cuda.DriverVersionText})");
                    if (emulator is not null)
                        o.WriteLine($"emulated       {emulator}: every device below runs on the CPU (a test tool: no speed or hardware numerics)");
                    foreach (var d in cuda.Devices)
                        o.WriteLine($"cuda:{d.Ordinal}         {d.Name}, {d.TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB, compute capability {d.ComputeMajor}.{d.ComputeMinor}, {d.Multiprocessors} SMs");
                }
                foreach (var l in libraries)
                    o.WriteLine(l.Version is not null ? $"{l.Name,-15}{l.Version} ({l.Path})" : $"{l.Name,-15}not usable: {l.Problem}");
            });
        });
        return command;
    }
}
