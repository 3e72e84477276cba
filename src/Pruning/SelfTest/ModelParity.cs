using EdgePruning.Kernels;
using EdgePruning.Kernels.Parity;
using EdgePruning.Kernels.Reference;
using EdgePruning.Models;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.SelfTest;

/// <summary>
/// A whole forward pass on a candidate backend against the reference: the <see cref="Transformer"/> over
/// <c>backend.Kernels</c> with the weights uploaded through the backend, and the same Transformer over the
/// scalar <see cref="ReferenceKernels"/> on the host with the weights rounded as the backend stored them;
/// the logits compared under <see cref="ParityTolerances.ForModel"/>.
/// Today the Transformer keeps its scratch tensors on the host in f32, so it runs only where the backend's
/// tensors are host f32 (the CPU). Elsewhere it refuses with a shape or model-format error, and the check
/// says "not supported on this backend yet" instead of failing; once the Transformer places its scratch
/// through the backend, the same check runs there unchanged.
/// </summary>
public static class ModelParity
{
    public static IReadOnlyList<ParityCheck> Run(IKernelBackend candidate, IEnumerable<SelfTestModel> models, Action<ParityCheck>? progress = null)
    {
        bool onDevice = KernelParitySuite.OnDevice(candidate);
        var checks = new List<ParityCheck>();
        foreach (var model in models)
            foreach (var dtype in candidate.DTypes)
            {
                var check = Check(candidate, model, dtype, onDevice);
                checks.Add(check);
                progress?.Invoke(check);
            }
        return checks;
    }

    public static ParityCheck Check(IKernelBackend candidate, SelfTestModel model, DType dtype, bool onDevice)
    {
        string name = $"forward {model.Name}";
        Tensor expected;
        try
        {
            var reference = new Transformer(model.Config, WeightPlacement.Rounded(model.Weights, dtype), ReferenceKernels.Instance, model.Name);
            expected = reference.Forward(model.Tokens, model.Batch);
        }
        catch (Exception e)
        {
            return ParityCheck.Crashed(name, dtype, model.Shape, e);
        }

        bool hostF32 = !onDevice && dtype == DType.F32;
        try
        {
            var weights = WeightPlacement.Upload(candidate, model.Weights, dtype);
            var transformer = new Transformer(model.Config, weights, candidate.Kernels, model.Name);
            var actual = candidate.Download(transformer.Forward(model.Tokens, model.Batch));
            var tolerance = ParityTolerances.ForModel(dtype, onDevice,
                Math.Max(model.Config.ModelDim, model.Config.MlpDim), model.Config.Layers, expected.Span);
            return ParityComparison.Compare(name, dtype, model.Shape, expected, actual, tolerance);
        }
        catch (Exception e) when (!hostF32 && e is ShapeException or ModelFormatException)
        {
            return ParityCheck.NotRun(name, dtype, model.Shape,
                $"not supported on this backend yet: the Transformer runs on host f32 tensors only ({e.Message})");
        }
        catch (Exception e)
        {
            return ParityCheck.Crashed(name, dtype, model.Shape, e);
        }
        finally
        {
            candidate.Reset();
        }
    }
}
