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
/// The Transformer places its scratch, cache and logits through the backend (<see cref="Transformer.OnBackend"/>),
/// so the check runs wherever the backend's kernels accept its tensors. A backend whose kernels refuse them
/// (a shape or model-format error off the host-f32 path) gives "not supported on this backend", not a failure.
/// </summary>
public static class ModelParity
{
    public static IReadOnlyList<ParityCheck> Run(IKernelBackend candidate, IEnumerable<SelfTestModel> models, Action<ParityCheck>? progress = null) =>
        EachModelAndDType(candidate, models, Check, progress);

    /// <summary>One check per model and per dtype the candidate stores, in order, each reported as it ends.</summary>
    internal static IReadOnlyList<ParityCheck> EachModelAndDType<TModel>(IKernelBackend candidate, IEnumerable<TModel> models,
        Func<IKernelBackend, TModel, DType, bool, ParityCheck> check, Action<ParityCheck>? progress)
    {
        bool onDevice = KernelParitySuite.OnDevice(candidate);
        var checks = new List<ParityCheck>();
        foreach (var model in models)
            foreach (var dtype in candidate.DTypes)
            {
                var result = check(candidate, model, dtype, onDevice);
                checks.Add(result);
                progress?.Invoke(result);
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
            var transformer = Transformer.OnBackend(model.Config, model.Weights, candidate, dtype, model.Name);
            var actual = candidate.Download(transformer.Forward(model.Tokens, model.Batch));
            var tolerance = ParityTolerances.ForModel(dtype, onDevice,
                Math.Max(model.Config.ModelDim, model.Config.MlpDim), model.Config.Layers, expected.Span);
            return ParityComparison.Compare(name, dtype, model.Shape, expected, actual, tolerance);
        }
        catch (Exception e) when (!hostF32 && e is ShapeException or ModelFormatException)
        {
            return ParityCheck.NotRun(name, dtype, model.Shape,
                $"not supported on this backend: {e.Message}");
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
