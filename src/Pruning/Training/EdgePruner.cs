using System.Diagnostics;
using EdgePruning.Autodiff;
using EdgePruning.Autodiff.Ops;
using EdgePruning.Kernels;
using EdgePruning.Kernels.Cpu;
using EdgePruning.Pruning.Evaluation;
using EdgePruning.Pruning.Masking;
using EdgePruning.Pruning.Objective;
using EdgePruning.Pruning.Tasks;
using EdgePruning.Runtime;

namespace EdgePruning.Pruning.Training;

/// <summary>
/// The Edge Pruning trainer: hard-concrete edge (and node) masks trained with KL(full ‖ circuit) plus a
/// Lagrangian sparsity term whose multipliers ascend, AdamW with linear warm-up and decay, grad-norm
/// clipping. Every step draws its batch and mask sample from (seed, step), so a run is deterministic
/// and a resumed run continues exactly where the checkpoint left it.
/// </summary>
public sealed class EdgePruner
{
    private readonly EdgeMaskedModel _model;
    private readonly TaskDataset _task;
    private readonly PruningOptions _o;
    private Tensor? _meanOutputs;
    private readonly TensorArena _arena = new();
    private readonly Kernels.IKernels _k;
    private readonly Dictionary<EdgeMaskedModel, StepOutputs> _outputs = new();
    private readonly MaskStepBuffers _buffers;
    private readonly MaskState _state;
    /// <summary>The edge masks on the model's backend (null: the host runs their math).</summary>
    private readonly DeviceMaskState? _deviceMasks;
    /// <summary>The device holds newer edge masks than the host copy.</summary>
    private bool _deviceAhead;
    /// <summary>The host copy was handed out since the device last read it, and may have been changed (a resume, a warm start).</summary>
    private bool _stateLent = true;
    private Tensor? _lastEdgeGradient;
    private float _lastDzShift;
    /// <summary>Whether the steps draw <see cref="MaskNoise"/> rather than System.Random's stream (<see cref="PruningOptions.CounterNoise"/>).</summary>
    private readonly bool _counterNoise;
    /// <summary>The unmasked runs of the training examples, kept on the host (null: run every step).</summary>
    private readonly ReferenceRunCache? _references;

    /// <param name="parallel">Further copies of the model on other GPUs and the communicators that join them: the
    /// step's micro-batches are dealt out to all of them and their gradients all-reduced (null: one device).</param>
    public EdgePruner(EdgeMaskedModel model, TaskDataset task, PruningOptions options, DataParallel? parallel = null)
    {
        options.Validate();
        if (task.Train.Count == 0) throw new EdgePruningException($"task {task.Name} has no training examples");
        _model = model;
        _k = model.Model.Kernels;
        _task = task;
        _o = options;
        bool learned = options.Ablation == Ablation.OptimalConstant;
        _state = new MaskState(model.EdgeCount, model.Writers, options.WeightDecay, learned ? model.Writers * model.Config.ModelDim : 0);
        _state.Initialize(options.InitMean, options.InitStd, options.Seed);
        _buffers = new MaskStepBuffers(checked((int)model.EdgeCount), model.Writers, _state.Constants.Length);
        // The learned baselines start from the mean ablation, which they can only improve on.
        if (learned) WriterMeans().Span.CopyTo(_state.Constants);
        Parallel = parallel;
        bool masksOnDevice = MasksOnDevice(model, options, parallel);
        if (masksOnDevice && options.CounterNoise == false)
            throw new EdgePruningException("mask math on the device draws the counter-based mask noise; leave the noise to the default");
        _counterNoise = options.CounterNoise ?? masksOnDevice;
        _deviceMasks = masksOnDevice ? new DeviceMaskState(model.Backend, checked((int)model.EdgeCount)) : null;
        if (!model.OnDevice && parallel is null)
            _references = ReferenceRunCache.For(task.Train, model.Writers, model.Config.ModelDim, model.Config.EffectiveOutputSize,
                writerOutputs: options.Ablation == Ablation.Interchange, options.ReferenceCacheBytes ?? DefaultReferenceBudget());
        if (parallel is not null && options.CaptureSteps)
            throw new EdgePruningException("step graphs run on one GPU; leave them out to train on several");
        if (options.CaptureSteps)
        {
            if (model.Model.Backend is null)
                throw new EdgePruningException("step graphs need a model on a device backend; prune on --device cuda");
            if (learned)
                throw new EdgePruningException("optimal-constant ablation reads its baseline gradient back after every micro-batch, which a captured step graph cannot; leave out step graphs");
            Graph = new StepGraph(model.Backend as Kernels.IWorkCapture
                ?? throw new EdgePruningException($"the {model.Backend.Name} backend cannot capture a step as a graph"));
        }
    }

    /// <summary>An eighth of the memory the runtime may use, at most 2 GiB.</summary>
    private static long DefaultReferenceBudget() => Math.Min(2L << 30, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 8);

    /// <summary>Training examples whose unmasked runs the host steps keep (0: none, or not kept at all).</summary>
    public int ReferenceRunsKept => _references?.Count ?? 0;

    /// <summary>Bytes those kept runs take once every training example is held (0: not kept).</summary>
    public long ReferenceRunBytes => _references?.CapacityBytes ?? 0;

    /// <summary>Bytes of kept runs held now.</summary>
    internal long ReferenceRunBytesHeld => _references?.HeldBytes ?? 0;

    /// <summary>The other GPUs the steps run on (null: one device).</summary>
    public DataParallel? Parallel { get; }

    /// <summary>The graph the steps' device work runs through (null unless <see cref="PruningOptions.CaptureSteps"/>).</summary>
    public StepGraph? Graph { get; }

    /// <summary>
    /// Everything the run trains. When the edge masks train on the device this is brought up to date from there first,
    /// and the next step reads it back, so it may be changed between steps (a resume, a warm start); reading it every
    /// step costs two copies of the masks, which <see cref="StepsDone"/> does not.
    /// </summary>
    public MaskState State
    {
        get
        {
            if (_deviceMasks is not null && _deviceAhead)
            {
                _deviceMasks.Download(_state);
                _deviceAhead = false;
            }
            _stateLent = true;
            return _state;
        }
    }

    /// <summary>Steps completed (<see cref="MaskState.Step"/>, without bringing the masks to the host).</summary>
    public int StepsDone => _state.Step;

    /// <summary>Whether the edge masks are sampled and optimized on the model's backend (<see cref="MaskMathPlace"/>).</summary>
    public bool MaskMathOnDevice => _deviceMasks is not null;

    /// <summary>Whether the steps draw the counter-based <see cref="MaskNoise"/> (as resolved from <see cref="PruningOptions.CounterNoise"/>).</summary>
    public bool CounterNoise => _counterNoise;

    /// <summary>Where <paramref name="options"/> put the edge-mask math for <paramref name="model"/>; a forced device place it cannot have is an error.</summary>
    private static bool MasksOnDevice(EdgeMaskedModel model, PruningOptions options, DataParallel? parallel)
    {
        switch (options.MaskMath)
        {
            case MaskMathPlace.Host:
                return false;
            case MaskMathPlace.Device:
                if (model.Model.Backend is null)
                    throw new EdgePruningException("mask math on the device needs a model on a device backend; prune on --device cuda");
                if (parallel is not null)
                    throw new EdgePruningException("mask math on the device runs on one GPU; several GPUs keep the masks on the host");
                return true;
            default:
                return model.OnDevice && parallel is null && model.EdgeCount >= PruningOptions.DeviceMaskThreshold;
        }
    }
    public EdgeMaskedModel Model => _model;
    public PruningOptions Options => _o;
    public TaskDataset Task => _task;
    /// <summary>The most bytes the step scratch arena has handed out at once (one micro-batch's tensors).</summary>
    public long ScratchHighWaterBytes => _arena.HighWaterBytes;

    /// <summary>Bytes the step scratch arena holds in blocks.</summary>
    public long ScratchCapacityBytes => _arena.CapacityBytes;

    /// <summary>∂loss/∂z of the last step's edge masks (KL and sparsity terms, before the hard-concrete backward), [edges], on the host.</summary>
    public Tensor? LastEdgeGradient
    {
        get
        {
            if (_deviceMasks is null || _lastEdgeGradient is null) return _lastEdgeGradient;
            var host = _model.Backend.Download(_lastEdgeGradient);
            System.Numerics.Tensors.TensorPrimitives.Add(host.Span, _lastDzShift, host.Span);
            return host;
        }
    }

    private bool NodeLoss => _o.NodeMasks && _o.TargetNodeSparsity is not null;

    /// <summary>One optimization step; returns what it measured.</summary>
    public StepReport Step()
    {
        var clock = Stopwatch.StartNew();
        int step = _state.Step;
        var batch = SampleBatch(step);
        // Counter-based noise: entry i of a step's draw depends on (seed, step, i) only, so the host and the device draw
        // the same bits; the sequential stream: the numbers one System.Random of the step's seed would draw, edges
        // first, then nodes (drawn on every core). Either way a resumed run continues with the same masks.
        ulong edgeSeed = (ulong)StepSeed.Of(_o.Seed, step, 1), nodeSeed = (ulong)StepSeed.Of(_o.Seed, step, 3);
        var noise = _counterNoise ? null : new SubtractiveStream(StepSeed.Of(_o.Seed, step, 1));

        long E = _model.EdgeCount;
        var buffers = _buffers;
        var device = _deviceMasks;
        Tensor z;
        double zSum;
        if (device is not null)
        {
            if (_stateLent) device.Upload(_state);
            _stateLent = false;
            zSum = device.Draw(edgeSeed);
            z = device.Sample;
        }
        else
        {
            if (noise is null) MaskNoise.Fill(buffers.EdgeNoise, edgeSeed);
            else HardConcreteOp.DrawUniform(noise, 0, buffers.EdgeNoise);
            z = buffers.EdgeSample;
            HardConcreteOp.Forward(_state.EdgeLogAlpha, buffers.EdgeNoise, z.Span);
            zSum = SparsityOp.Sum(z.Span);
        }
        float[]? uNode = null;
        Tensor? m = null;
        if (_o.NodeMasks)
        {
            uNode = buffers.NodeNoise;
            if (noise is null) MaskNoise.Fill(uNode, nodeSeed);
            else HardConcreteOp.DrawUniform(noise, E, uNode);
            m = buffers.NodeSample;
            HardConcreteOp.Forward(_state.NodeLogAlpha, uNode, m.Span);
        }

        // Micro-batches share the step's mask sample, so their weighted gradients add up to the full batch's.
        bool learned = _o.Ablation == Ablation.OptimalConstant;
        // A model built on a backend (a GPU, or the host backend) keeps every tensor of the step there; masks
        // go there once per step and their gradients and losses come back once (the edge masks not at all when
        // their math runs there too).
        bool onBackend = _model.Model.Backend is not null;
        var gConstant = buffers.ConstantGrad;
        Array.Clear(gConstant);
        var (kl, tokens, edgeGrad, nodeGrad) = onBackend ? DeviceGradients(batch, z, m, gConstant) : HostGradients(batch, z, m, gConstant);

        double target = LearningRateSchedule.Target(step, _o.SparsityWarmupSteps, _o.TargetEdgeSparsity);
        double s = SparsityOp.FromSum(zSum, E);
        double l1 = _state.EdgeLambda[0], l2 = _state.EdgeLambda[1];
        double loss = kl + LagrangianOp.Forward(s, target, l1, l2);
        double sn = m is null ? 0 : SparsityOp.Forward(m.Span, _model.Writers);
        double nodeTarget = 0;
        if (NodeLoss)
        {
            nodeTarget = LearningRateSchedule.Target(step, _o.SparsityWarmupSteps, _o.TargetNodeSparsity!.Value);
            loss += LagrangianOp.Forward(sn, nodeTarget, _state.NodeLambda[0], _state.NodeLambda[1]);
        }
        if (!double.IsFinite(loss))
            throw new TrainingDivergedException($"the loss is {loss} at step {step} (KL {kl}): training stopped");

        double ds = 0, dl1 = 0, dl2 = 0;
        LagrangianOp.Backward(1, s, target, l1, l2, ref ds, ref dl1, ref dl2);
        float dzShift = SparsityOp.Shift(ds, E);
        var gEdge = buffers.EdgeLogAlphaGrad;
        double deviceSquares = 0;
        _lastEdgeGradient = edgeGrad;
        _lastDzShift = dzShift;
        if (device is not null)
        {
            deviceSquares = device.Backward(edgeGrad, dzShift);
        }
        else
        {
            System.Numerics.Tensors.TensorPrimitives.Add(edgeGrad.Span, dzShift, edgeGrad.Span);
            Array.Clear(gEdge);
            HardConcreteOp.Backward(_state.EdgeLogAlpha, buffers.EdgeNoise, edgeGrad.Span, gEdge);
        }
        var gEdgeLambda = buffers.EdgeLambdaGrad;
        (gEdgeLambda[0], gEdgeLambda[1]) = ((float)dl1, (float)dl2);
        var gNode = buffers.NodeLogAlphaGrad;
        Array.Clear(gNode);
        var gNodeLambda = buffers.NodeLambdaGrad;
        Array.Clear(gNodeLambda);
        if (m is not null)
        {
            if (NodeLoss)
            {
                double dsn = 0, dn1 = 0, dn2 = 0;
                LagrangianOp.Backward(1, sn, nodeTarget, _state.NodeLambda[0], _state.NodeLambda[1], ref dsn, ref dn1, ref dn2);
                SparsityOp.Backward(dsn, _model.Writers, nodeGrad.Span);
                gNodeLambda[0] = (float)dn1;
                gNodeLambda[1] = (float)dn2;
            }
            HardConcreteOp.Backward(_state.NodeLogAlpha, uNode!, nodeGrad.Span, gNode);
        }

        float clip = device is null
            ? ClipGradients(_o.GradClip, 0, gEdge, gNode, gEdgeLambda, gNodeLambda, gConstant)
            : ClipGradients(_o.GradClip, deviceSquares, gNode, gEdgeLambda, gNodeLambda, gConstant);
        double factor = LearningRateSchedule.Factor(step, _o.LrWarmupSteps, _o.Steps);
        if (device is not null)
        {
            var edgeOptimizer = _state.EdgeOptimizer;
            edgeOptimizer.StepCount++;
            device.Update(clip, new Kernels.Training.AdamWStep(_o.EdgeLr * factor, edgeOptimizer.WeightDecay, edgeOptimizer.StepCount, edgeOptimizer.Maximize));
            _deviceAhead = true;
        }
        else
        {
            _state.EdgeOptimizer.Step(_state.EdgeLogAlpha, gEdge, _o.EdgeLr * factor);
        }
        _state.EdgeLambdaOptimizer.Step(_state.EdgeLambda, gEdgeLambda, _o.EdgeLambdaLr * factor);
        if (m is not null) _state.NodeOptimizer.Step(_state.NodeLogAlpha, gNode, _o.NodeLr * factor);
        if (NodeLoss) _state.NodeLambdaOptimizer.Step(_state.NodeLambda, gNodeLambda, _o.NodeLambdaLr * factor);
        if (learned) _state.ConstantOptimizer.Step(_state.Constants, gConstant, _o.ConstantLr * factor);
        _state.Step++;
        return new StepReport(step, kl, s, target, l1, l2, sn, loss, clock.Elapsed.TotalSeconds, tokens);
    }

    /// <summary>
    /// The token rows whose logits the loss reads (null: every row, for the across-sequence loss): the readout
    /// runs only there, since a vocabulary-wide unembedding at every position is most of a step.
    /// </summary>
    private int[]? ReadRows(IReadOnlyList<TaskExample> part, int T) =>
        _task.Loss == TaskLoss.KlAcrossSequence ? null : TaskObjective.ReadRows(part, T);

    /// <summary>The micro-batches of a batch, in order.</summary>
    private TaskExample[][] MicroBatches(IReadOnlyList<TaskExample> batch)
    {
        int micro = Math.Clamp(_o.MicroBatch ?? batch.Count, 1, batch.Count);
        return batch.Chunk(micro).ToArray();
    }

    /// <summary>KL, tokens and the mask gradients of a batch, on the host (scratch in the step arena).</summary>
    private (double Kl, long Tokens, Tensor EdgeGrad, Tensor NodeGrad) HostGradients(IReadOnlyList<TaskExample> batch, Tensor z, Tensor? m,
        float[] gConstant)
    {
        bool learned = _o.Ablation == Ablation.OptimalConstant;
        var edgeGrad = _buffers.EdgeSampleGrad;
        var nodeGrad = _buffers.NodeSampleGrad;
        edgeGrad.Fill(0f);
        nodeGrad.Fill(0f);
        double kl = 0;
        long tokens = 0;
        foreach (var part in MicroBatches(batch))
        {
            _arena.Reset();
            var (clean, corrupted, T) = BatchBuilder.Build(part, _task.PadToken);
            var readRows = ReadRows(part, T);
            Tensor? baseline;
            Tensor full;
            if (_references is not null && _references.TryGet(part, T, readRows, _arena, out full, out var kept))
                baseline = _references.KeepsWriterOutputs ? kept : Baseline(corrupted, part.Length, T, _arena);
            else
            {
                baseline = Baseline(corrupted, part.Length, T, _arena);
                // The full model's logits in the step arena too: at a 50,257-wide vocabulary a fresh tensor per step
                // is megabytes of page faults and zeroing.
                var fullLogits = _arena.Empty(readRows?.Length ?? part.Length * T, _model.Config.EffectiveOutputSize);
                full = _model.Model.Forward(clean, part.Length, readRows: readRows, logits: fullLogits);
                _references?.Store(part, T, readRows, full, baseline);
            }
            var tape = new Tape();
            var pass = _model.Forward(clean, part.Length, baseline, z, m, tape, _arena, baselineGrad: learned, readRows: readRows);
            double weight = TaskObjective.Weight(_task, part, batch);
            kl += weight * TaskObjective.Kl(_task, part, full, pass.Logits, pass.LogitsGrad);
            System.Numerics.Tensors.TensorPrimitives.Multiply(pass.LogitsGrad.Span, (float)weight, pass.LogitsGrad.Span);
            tape.Backward();
            _k.Add(edgeGrad, pass.EdgeGrad, edgeGrad);
            _k.Add(nodeGrad, pass.NodeGrad, nodeGrad);
            if (learned) SumOverTokens(pass.BaselineGrad!, gConstant);
            tokens += (long)part.Length * T;
        }
        return (kl, tokens, edgeGrad, nodeGrad);
    }

    /// <summary>
    /// KL, tokens and the mask gradients of a batch, computed on the model's backend: the masks go there, the
    /// work runs there (through the step graph when <see cref="PruningOptions.CaptureSteps"/>), and the
    /// gradients and per-row KL come back once, at the end. Under optimal-constant ablation each micro-batch's
    /// gradient of the learned baselines comes back too, summed over its tokens into <paramref name="gConstant"/>.
    /// </summary>
    private (double Kl, long Tokens, Tensor EdgeGrad, Tensor NodeGrad) DeviceGradients(IReadOnlyList<TaskExample> batch, Tensor z, Tensor? m,
        float[] gConstant)
    {
        var parts = MicroBatches(batch);
        var rows = parts.Select(p => TaskObjective.LossRows(_task, p)).ToArray();
        var weights = parts.Select(p => TaskObjective.Weight(_task, p, batch)).ToArray();
        var firstRow = new int[parts.Length];
        for (int i = 1; i < parts.Length; i++) firstRow[i] = firstRow[i - 1] + rows[i - 1];
        var outputs = Outputs(_model, rows.Sum());
        long tokens = 0;
        if (Parallel is null)
        {
            var all = Enumerable.Range(0, parts.Length).ToArray();
            void Work() => tokens = RunParts(_model, outputs, parts, all, rows, firstRow, weights, z, m, gConstant);
            if (Graph is null || _model.ReadTimer is not null) Work();
            else Graph.Run(Work);
        }
        else
        {
            tokens = ParallelParts(outputs, parts, rows, firstRow, weights, z, m, gConstant);
        }

        var backend = _model.Backend;
        var rowKl = backend.Download(outputs.RowKl);
        double kl = 0;
        for (int i = 0; i < parts.Length; i++)
            kl += weights[i] * TaskObjective.BatchKl(_task, parts[i], rowKl.Span.Slice(firstRow[i], rows[i]));
        var edgeGrad = _deviceMasks is null ? backend.Download(outputs.EdgeGrad) : outputs.EdgeGrad;
        return (kl, tokens, edgeGrad, backend.Download(outputs.NodeGrad));
    }

    /// <summary>
    /// The micro-batches <paramref name="mine"/> on <paramref name="model"/>: its gradients summed into
    /// <paramref name="outputs"/> (zeroed first) and each loss row's KL at its place in the batch's rows. Returns the tokens.
    /// </summary>
    private long RunParts(EdgeMaskedModel model, StepOutputs outputs, TaskExample[][] parts, int[] mine, int[] rows, int[] firstRow,
        double[] weights, Tensor z, Tensor? m, float[] gConstant)
    {
        bool learned = _o.Ablation == Ablation.OptimalConstant;
        var backend = model.Backend;
        var k = model.Model.Kernels;
        using var stepScope = backend.OpenScope();
        var zRun = _deviceMasks is not null && model == _model ? z : BackendCopies.Into(backend, z, stepScope);
        var mRun = m is null ? null : BackendCopies.Into(backend, m, stepScope);
        backend.Gradients.Fill(outputs.EdgeGrad, 0f);
        backend.Gradients.Fill(outputs.NodeGrad, 0f);
        // Every row is written by the device that runs its micro-batch; the others add zeros in the all-reduce.
        if (Parallel is not null) backend.Gradients.Fill(outputs.RowKl, 0f);
        long tokens = 0;
        foreach (int i in mine)
        {
            var part = parts[i];
            using var scope = backend.OpenScope();
            var (clean, corrupted, T) = BatchBuilder.Build(part, _task.PadToken);
            var baseline = Baseline(model, corrupted, part.Length, T, null, scope);
            var readRows = ReadRows(part, T);
            var full = model.Model.Forward(clean, part.Length, scope: scope, readRows: readRows);
            var tape = new Tape();
            var pass = model.Forward(clean, part.Length, baseline, zRun, mRun, tape, scope: scope, baselineGrad: learned, readRows: readRows);
            TaskObjective.KlOnBackend(backend, scope, _task, part, full, pass.Logits, pass.LogitsGrad, weights[i], outputs.RowKl.Rows(firstRow[i], rows[i]));
            tape.Backward();
            k.Add(outputs.EdgeGrad, pass.EdgeGrad, outputs.EdgeGrad);
            k.Add(outputs.NodeGrad, pass.NodeGrad, outputs.NodeGrad);
            if (learned) SumOverTokens(backend.Download(pass.BaselineGrad!), gConstant);
            tokens += (long)part.Length * T;
        }
        return tokens;
    }

    /// <summary>
    /// The micro-batches dealt out round-robin to the GPUs of <see cref="Parallel"/>, one host thread each; each GPU's
    /// gradients and row KLs are all-reduced (summed) into every GPU's outputs, the first GPU's being
    /// <paramref name="outputs"/>. Returns the tokens of the whole batch.
    /// </summary>
    private long ParallelParts(StepOutputs outputs, TaskExample[][] parts, int[] rows, int[] firstRow, double[] weights, Tensor z, Tensor? m,
        float[] gConstant)
    {
        var parallel = Parallel!;
        int devices = parallel.Models.Count;
        if (_o.Ablation == Ablation.Mean) _meanOutputs ??= WriterMeans();
        var constants = Enumerable.Range(0, devices).Select(_ => new float[gConstant.Length]).ToArray();
        var work = new System.Threading.Tasks.Task<long>[devices];
        for (int g = 0; g < devices; g++)
        {
            int device = g;
            var model = parallel.Models[device];
            var mine = Enumerable.Range(0, parts.Length).Where(i => i % devices == device).ToArray();
            var own = device == 0 ? outputs : Outputs(model, rows.Sum());
            work[device] = System.Threading.Tasks.Task.Factory.StartNew(() =>
            {
                long t = RunParts(model, own, parts, mine, rows, firstRow, weights, z, m, constants[device]);
                var comm = parallel.Communicators[device];
                comm.AllReduceSum(own.EdgeGrad);
                comm.AllReduceSum(own.NodeGrad);
                comm.AllReduceSum(own.RowKl);
                model.Backend.Synchronize();
                return t;
            }, TaskCreationOptions.LongRunning);
        }
        try
        {
            System.Threading.Tasks.Task.WaitAll(work);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            // A failed GPU leaves the others waiting in the all-reduce: stop them, then report the first failure.
            foreach (var c in parallel.Communicators) c.Abort();
            throw e.InnerExceptions[0];
        }
        foreach (var c in constants) System.Numerics.Tensors.TensorPrimitives.Add(gConstant, c, gConstant);
        return work.Sum(w => w.Result);
    }

    /// <summary>
    /// The tensors the device work of a step writes its results into, made outside the work (a captured graph
    /// writes into them at every launch): kept from step to step, made again when the loss rows change.
    /// </summary>
    private StepOutputs Outputs(EdgeMaskedModel model, int rows)
    {
        lock (_outputs)
        {
            if (_outputs.TryGetValue(model, out var kept) && kept.RowKl.Count == rows) return kept;
            kept?.Scope.Dispose();
            var scope = model.Backend.OpenScope();
            var made = new StepOutputs(scope, scope.Empty(DType.F32, checked((int)model.EdgeCount)), scope.Empty(DType.F32, model.Writers),
                scope.Empty(DType.F32, Math.Max(rows, 1)).Rows(0, rows));
            _outputs[model] = made;
            return made;
        }
    }

    private sealed record StepOutputs(ITensorScope Scope, Tensor EdgeGrad, Tensor NodeGrad, Tensor RowKl);

    /// <summary>ỹ for a batch: the corrupted run's writer outputs, nothing, or the training-set mean.</summary>
    internal Tensor? Baseline(int[] corrupted, int batch, int T, TensorArena? arena = null, ITensorScope? scope = null) =>
        Baseline(_model, corrupted, batch, T, arena, scope);

    /// <summary>ỹ for a batch where <paramref name="model"/> (this pruner's, or a copy on another GPU) runs.</summary>
    private Tensor? Baseline(EdgeMaskedModel model, int[] corrupted, int batch, int T, TensorArena? arena, ITensorScope? scope) => _o.Ablation switch
    {
        Ablation.Interchange => model.WriterOutputs(corrupted, batch, arena, scope),
        Ablation.Mean => Broadcast(model, _meanOutputs ??= WriterMeans(), batch * T, arena, scope),
        Ablation.OptimalConstant => Broadcast(model, Tensor.FromData(_state.Constants, model.Writers, model.Config.ModelDim), batch * T, arena, scope),
        _ => null,
    };

    /// <summary>Per-writer vectors [W, d] repeated over <paramref name="rows"/> token positions: [W, rows·d], where the model runs.</summary>
    private static Tensor Broadcast(EdgeMaskedModel model, Tensor perWriter, int rows, TensorArena? arena, ITensorScope? scope)
    {
        int W = model.Writers, d = model.Config.ModelDim;
        var t = model.OnDevice ? Tensor.Empty(DType.F32, W, rows * d) : arena?.Empty(W, rows * d) ?? Tensor.Empty(DType.F32, W, rows * d);
        for (int w = 0; w < W; w++)
        {
            var src = perWriter.Row(w).Span;
            var dst = t.Row(w).Span;
            for (int r = 0; r < rows; r++) src.CopyTo(dst.Slice(r * d, d));
        }
        if (!model.OnDevice) return t;
        var placed = scope?.Empty(model.Model.DType, W, rows * d) ?? model.Backend.Empty(model.Model.DType, W, rows * d);
        model.Backend.CopyFromHost(t, placed);
        return placed;
    }

    /// <summary>g[w, k] = Σ over token positions of dỹ[w, position·d + k].</summary>
    private void SumOverTokens(Tensor baselineGrad, float[] g)
    {
        int W = _model.Writers, d = _model.Config.ModelDim;
        for (int w = 0; w < W; w++)
        {
            var row = baselineGrad.Row(w).Span;
            var dst = g.AsSpan(w * d, d);
            for (int p = 0; p < row.Length; p += d) System.Numerics.Tensors.TensorPrimitives.Add(dst, row.Slice(p, d), dst);
        }
    }

    /// <summary>Each writer's output averaged over every token of the training set.</summary>
    private Tensor WriterMeans()
    {
        int W = _model.Writers, d = _model.Config.ModelDim;
        var sums = new double[W * d];
        long count = 0;
        for (int i = 0; i < _task.Train.Count; i += _o.Batch)
        {
            var chunk = _task.Train.Skip(i).Take(_o.Batch).ToArray();
            var (clean, _, T) = BatchBuilder.Build(chunk, _task.PadToken);
            using var scope = _model.OnDevice ? _model.Backend.OpenScope() : null;
            var outputs = _model.WriterOutputs(clean, chunk.Length, scope: scope);
            var y = _model.OnDevice ? _model.Backend.Download(outputs) : outputs;
            int rows = chunk.Length * T;
            for (int w = 0; w < W; w++)
            {
                var row = y.Row(w).Span;
                for (int r = 0; r < rows; r++)
                    for (int k = 0; k < d; k++) sums[w * d + k] += row[r * d + k];
            }
            count += rows;
        }
        var mean = Tensor.Zeros(W, d);
        var ms = mean.Span;
        for (int i = 0; i < ms.Length; i++) ms[i] = (float)(sums[i] / count);
        return mean;
    }

    /// <summary>The batch of a step: a fresh permutation of the training set per epoch, seeded by (seed, epoch).</summary>
    private IReadOnlyList<TaskExample> SampleBatch(int step)
    {
        int n = _task.Train.Count, B = Math.Min(_o.Batch, n);
        long start = (long)step * B;
        var batch = new TaskExample[B];
        int[]? order = null;
        long orderEpoch = -1;
        for (int i = 0; i < B; i++)
        {
            long k = start + i;
            long epoch = k / n;
            if (epoch != orderEpoch)
            {
                order = Enumerable.Range(0, n).ToArray();
                new Random(StepSeed.Of(_o.Seed, (int)epoch, 2)).Shuffle(order);
                orderEpoch = epoch;
            }
            batch[i] = _task.Train[order![(int)(k % n)]];
        }
        return batch;
    }

    /// <summary>
    /// Scales the gradients so that their joint norm (with <paramref name="otherSquares"/>, the sum of squares of gradients
    /// held elsewhere) is at most <paramref name="maxNorm"/>; returns the scale, which the caller applies to those others.
    /// </summary>
    private static float ClipGradients(double maxNorm, double otherSquares, params ReadOnlySpan<float[]> grads)
    {
        double sq = otherSquares;
        foreach (var g in grads) sq += System.Numerics.Tensors.TensorPrimitives.SumOfSquares(g);
        double norm = Math.Sqrt(sq);
        if (!(norm > maxNorm)) return 1f;
        float scale = (float)(maxNorm / (norm + 1e-6));
        foreach (var g in grads) System.Numerics.Tensors.TensorPrimitives.Multiply(g, scale, g);
        return scale;
    }
}
