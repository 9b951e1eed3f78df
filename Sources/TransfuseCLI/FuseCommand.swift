import ArgumentParser
import Checkpoints
import Foundation
import Fusion
import Inference
import NamingSchemes
import WeightStore

/// `transfuse fuse`: Optimal-Transport fusion of two or more ViT / BERT models.
struct FuseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fuse",
        abstract: "Fuse two or more transformers (ViT, BERT) with Optimal Transport, or average them.",
        discussion: """
            Every non-anchor model is aligned to the anchor along the transport-map flow graph \
            (embeddings, LayerNorms, attention, residual joins, MLP, heads) and the fused model is \
            the weighted average of the aligned models and the anchor, in the anchor's shapes, \
            channel order and naming scheme. Models may be in any readable format and scheme.

            \(FusionOptions.defaultsDescription)

            --config takes the paper's experiment YAML unchanged (its fusion: section; other sections \
            are ignored) plus Transfuse's keys in the same section: compat (transfuse | reference: \
            reproduce the paper's code, quirks included), heads (cross | within), transport_scaling \
            (auto | barycentric | reference), cls_alignment (stream | values | reference), stream_alignment \
            (per_layer | global: one map for the whole residual stream) with stream_rounds. Flags win over the file.

            Examples:
              transfuse fuse a.safetensors b.safetensors --output fused.safetensors
              transfuse fuse a b c --output fused --eval test.h5
              transfuse fuse a.h5 b.h5 --anchor 1 --config fuse_hf_vit_cifar10.yaml --output f.safetensors
              transfuse fuse a b --alignment activations --data calib.h5 --solver sinkhorn --reg 0.08 --output f
            """
    )

    @Argument(help: "The models to fuse (two or more; any format and naming scheme Transfuse reads).")
    var models: [String]

    @Option(name: .shortAndLong, help: "Where to write the fused model (format by extension; a path without extension writes a Hugging Face folder).")
    var output: String

    @Option(help: "0-based index of the anchor model, whose shapes and channel order the result takes (the paper's anchor is its second model: --anchor 1).")
    var anchor: Int?

    @Option(help: "A paper experiment YAML (fusion: section) with optional Transfuse keys.")
    var config: String?

    @Option(help: "ot (optimal transport) or vanilla (the weighted average; equal shapes required). Default: ot.")
    var method: FusionOptions.Method?

    @Option(help: "weights or activations (needs --data or --activations). Default: weights; activations for BERT with --data.")
    var alignment: FusionOptions.Alignment?

    @Option(help: "emd (exact), sinkhorn (entropic) or sinkhorn_for_widening. Default: emd; sinkhorn with --data.")
    var solver: FusionOptions.Solver?

    @Option(help: "Sinkhorn regularisation (sinkhorn_reg). Default: 0.08 (0.05 for ViT with --data).")
    var reg: Double?

    @Option(help: "Dataset (HDF5, the format `eval` reads) whose first acts.num_samples inputs give the activations.")
    var data: String?

    @Option(name: .customLong("synthetic-data"), help: ArgumentHelp(
        "Without data: calibrate on N images of standard-normal noise in the ViT's input space, as if given with --data.",
        discussion: "The data-aware ViT defaults then apply (Sinkhorn 0.05 maps, REPAIR on the noise images' statistics, the least-squares refit on their activations). On the sample digit ViTs this takes one-shot accuracy from 33% to 64% (mean of three pairs; real calibration images give 95%). Fixed seed: the same result every run. ViT only.",
        valueName: "N"))
    var syntheticData: Int?

    @Option(parsing: .upToNextOption, help: "Activation files written by `transfuse activations`, one per model in model order.")
    var activations: [String] = []

    @Option(help: "Model weights in model order, comma-separated, normalised to sum 1. Default: the anchor 1/2, the others equal shares of the other half (uniform for two models and for --method vanilla).")
    var weights: String?

    @Option(help: "Naming scheme of the output. Default: the anchor's.")
    var scheme: String?

    @OptionGroup var schemeOptions: SchemeOptions

    @OptionGroup var repairArguments: RepairArguments

    @OptionGroup var refitArguments: RefitArguments

    @Option(name: .customLong("save-maps"), help: "Write every transport map to this file (.safetensors or .h5), named by its place in the flow graph.")
    var saveMaps: String?

    @Option(name: .customLong("plot-maps"), help: "Write every transport map as a PNG heatmap into this folder.")
    var plotMaps: String?

    @Option(help: "After fusing, evaluate the parents, the vanilla average (equal shapes) and the fused model on this dataset.")
    var eval: String?

    @Flag(help: "Print the evaluation (with --eval) and timings as one JSON object on standard output.")
    var json = false

    @Flag(help: "Replace OUTPUT if it exists.")
    var force = false

    func validate() throws {
        guard models.count >= 2 else { throw ValidationError("fuse needs at least two models, got \(models.count)") }
        if let anchor, !models.indices.contains(anchor) {
            throw ValidationError("--anchor \(anchor) is out of range: \(models.count) models, indices 0…\(models.count - 1)")
        }
        if let reg, !(reg > 0) { throw ValidationError("--reg must be > 0, got \(reg)") }
        if let syntheticData {
            guard syntheticData > 0 else { throw ValidationError("--synthetic-data must be at least 1, got \(syntheticData)") }
            guard data == nil, activations.isEmpty else {
                throw ValidationError("--synthetic-data stands in for --data: give one or the other (and no --activations)")
            }
        }
        if !activations.isEmpty, activations.count != models.count {
            throw ValidationError("--activations needs one file per model (\(models.count)), got \(activations.count)")
        }
        let out = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath()
        for m in models where URL(fileURLWithPath: m).standardizedFileURL.resolvingSymlinksInPath() == out {
            throw ValidationError("OUTPUT is the same path as the input \(m); Transfuse never writes over its input")
        }
        _ = try FuseSupport.parseWeights(weights)
    }

    /// Defaults (Transfuse's for the models' family and whether calibration data is given; the
    /// plain ones under `compat: reference`), then the config file, then the flags.
    func resolvedOptions(family: Architecture.Family) throws -> FusionOptions {
        let defaults = FusionOptions.defaults(for: family, calibration: hasCalibration)
        var options = defaults
        if let config {
            guard let data = FileManager.default.contents(atPath: config) else {
                throw ValidationError("--config \(config): cannot read the file")
            }
            let yaml = String(decoding: data, as: UTF8.self)
            let resolved = try FusionOptions.resolving(over: defaults) { try $0.apply(yaml: yaml, file: config) }
            options = resolved.options
            for warning in resolved.warnings { StandardError.line("warning: \(warning)") }
        }
        if let method { options.method = method }
        if let alignment { options.alignment = alignment }
        if let solver { options.solver = solver }
        if let reg { options.reg = reg }
        if let anchor { options.anchor = anchor }
        options.modelWeights = try FuseSupport.parseWeights(weights)
        // The data-aware default correction belongs to OT fusion, not to the plain average.
        if options.method == .vanilla, defaults.repair != nil, options.repair == defaults.repair { options.repair = nil }
        if options.method == .vanilla, defaults.refit != nil, options.refit == defaults.refit { options.refit = nil }
        return options
    }

    /// Calibration inputs were given (`--data`, `--synthetic-data`, `--repair` or `--refit`): the
    /// data-aware defaults apply.
    var hasCalibration: Bool { data != nil || syntheticData != nil || repairArguments.repair != nil || refitArguments.refit != nil }

    /// `--synthetic-data`'s images for the models' input shape, in a temporary folder that
    /// `cleanUp` removes; `nil` without the option.
    func writeSyntheticData(for inputs: [FusionInput]) throws -> (path: String, cleanUp: () -> Void)? {
        guard let count = syntheticData else { return nil }
        let shape = try SyntheticCalibration.imageShape(of: inputs[0].model.store, source: inputs[0].label)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("transfuse-synthetic-\(UUID().uuidString)")
        let path = folder.appendingPathComponent("noise.h5").path
        let cleanUp = {
            try? FileManager.default.removeItem(at: folder)
            TemporaryOutputs.unregister(folder.path)
        }
        TemporaryOutputs.register(folder.path)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try SyntheticCalibration.writeNoiseImages(count: count, channels: shape.channels, imageSize: shape.imageSize, seed: 0, to: path)
        } catch {
            cleanUp()
            throw error
        }
        StandardError.line("calibrating on \(count) synthetic noise images [\(shape.channels), \(shape.imageSize), \(shape.imageSize)] (no --data)")
        return (path, cleanUp)
    }

    func run() throws {
        let started = Date()
        let registry = try schemeOptions.registry()
        var inputs = try FuseSupport.readInputs(models, heads: schemeOptions.heads, registry: registry)
        let options = try resolvedOptions(family: inputs[0].model.architecture.family)
        if inputs[0].model.architecture.family == .vit, !hasCalibration, activations.isEmpty,
           options.method == .ot, options.compat == .transfuse {
            StandardError.line("hint: calibration inputs usually lift a ViT fusion's one-shot accuracy a lot: --data CALIB.h5 (a few hundred training images), or --synthetic-data 300 without data (digit samples: 33% → 95% / 64%)")
        }
        let synthetic = try writeSyntheticData(for: inputs)
        defer { synthetic?.cleanUp() }
        // The calibration inputs: --data, else the noise images, else --repair's file (so that
        // the data-aware defaults, activation alignment for BERT, find their inputs).
        let data = self.data ?? synthetic?.path ?? repairArguments.repair ?? refitArguments.refit
        let repair = try repairArguments.settings(options, data: data)
        let calibration = try repair.map { try repairArguments.calibration($0.file, inputs: inputs) }
        let refit = try refitArguments.settings(options, data: data)
        let refitCalibration = try refit.map { settings in
            settings.file == repair?.file ? calibration! : try repairArguments.calibration(settings.file, inputs: inputs, check: Refit.check)
        }
        var activationSeconds = 0.0
        if FuseSupport.needsActivations(options) {
            let t = Date()
            if !activations.isEmpty {
                for k in inputs.indices { inputs[k].activations = try ActivationSet.read(activations[k]) }
            } else {
            guard let data else {
                throw ValidationError("activation alignment (and the weighted residual policies) need --data FILE.h5 or --activations (one file per model)")
            }
            let dataset = try EvalDataset.read(data, limit: options.numSamples)
            for k in inputs.indices {
                StandardError.line("activations of model \(k) (\(inputs[k].label))")
                inputs[k].activations = try ActivationSet.capture(inputs[k].model, label: inputs[k].label, dataset: dataset, options: options)
            }
            }
            activationSeconds = Date().timeIntervalSince(t)
        }
        let anchorModel = inputs[options.anchor].model
        let target = scheme ?? anchorModel.detected.scheme
        let outputHeads = schemeOptions.heads ?? anchorModel.architecture.heads
        let keepMaps = saveMaps != nil || plotMaps != nil || repair != nil || refit != nil
        let summary: FusionSummary, tensorCount: Int
        var fusedStore: WeightStore?
        var writeSeconds: Double
        if canStream(repairing: repair != nil || refit != nil) {
            // Written layer by layer while fusing: the fused model is never held in memory.
            (summary, tensorCount) = try fuseStreaming(inputs, options: options, target: target, heads: outputHeads,
                                                       registry: registry, keepMaps: keepMaps)
            for warning in summary.warnings { StandardError.line("warning: \(warning)") }
            writeSeconds = summary.emitSeconds
        } else {
            var result = try Fuser.fuse(inputs, options: options, keepMaps: keepMaps) { StandardError.line($0) }
            for warning in result.warnings { StandardError.line("warning: \(warning)") }
            if let repair, let calibration {
                // The correction needs the fused store in memory: it measures and rewrites it layer by layer.
                let repaired = try Repair.correct(inputs, fused: result, options: options, calibration: calibration,
                                                  repair: repair.options) { StandardError.line($0) }
                for warning in repaired.warnings { StandardError.line("warning: \(warning)") }
                result.store = repaired.store
            }
            if let refit, let refitCalibration {
                let refitted = try Refit.refit(inputs, fused: result, options: options, calibration: refitCalibration,
                                               refit: refit.options) { StandardError.line($0) }
                for warning in refitted.warnings { StandardError.line("warning: \(warning)") }
                result.store = refitted.store
            }
            let writeStart = Date()
            let store = try SchemeConverter.fromCanonical(result.store, to: target, heads: outputHeads, registry: registry)
            try Checkpoint.write(store, to: output, options: WriteOptions(force: force))
            summary = FusionSummary(maps: result.maps, transportSeconds: result.transportSeconds, emitSeconds: 0, warnings: result.warnings)
            tensorCount = store.count
            fusedStore = result.store
            writeSeconds = Date().timeIntervalSince(writeStart)
        }
        let mapsStart = Date()
        if let saveMaps { try Checkpoint.write(try MapExport.store(summary.maps), to: saveMaps, options: WriteOptions(force: force)) }
        if let plotMaps { try MapExport.plot(summary.maps, to: plotMaps) }
        writeSeconds += Date().timeIntervalSince(mapsStart)
        let total = Date().timeIntervalSince(started)
        StandardError.line(String(format: "wrote %@ (%@ scheme, %d tensors): activations %.2f s, OT %.2f s, writing %.2f s, total %.2f s",
                                  output, target, tensorCount, activationSeconds, summary.transportSeconds, writeSeconds, total))

        var report = FuseReport(output: output, method: options.method.rawValue, anchor: options.anchor,
                                timings: .init(activations: activationSeconds, transport: summary.transportSeconds,
                                               writing: writeSeconds, total: total),
                                evaluation: nil)
        if let eval {
            let evaluation = try evaluate(eval, inputs: inputs, fused: try fusedStore ?? readBackOutput(registry: registry), options: options)
            report.evaluation = evaluation
            if !json { print(evaluation.table()) }
        }
        if json { try JSONOutput.print(report) }
    }

    /// Parents, vanilla average (when the shapes agree) and the fused model on `path`.
    func evaluate(_ path: String, inputs: [FusionInput], fused: WeightStore, options: FusionOptions) throws -> EvalReport {
        let dataset = try EvalDataset.read(path)
        var entries: [EvalReport.Model] = []
        func run(_ store: WeightStore, _ label: String, role: String) throws {
            StandardError.line("evaluating \(label) on \(path)")
            entries.append(try FuseSupport.evaluate(store, label: label, role: role, dataset: dataset, heads: schemeOptions.heads))
        }
        for input in inputs { try run(input.model.store, input.label, role: "parent") }
        var vanillaOptions = options
        vanillaOptions.method = .vanilla
        if let vanilla = try? Fuser.fuse(inputs, options: vanillaOptions) { try run(vanilla.store, "vanilla average", role: "vanilla") }
        try run(fused, output, role: "fused")
        return EvalReport(dataset: path, task: dataset.task.rawValue, models: entries)
    }
}

/// What `fuse --json` prints: the output, method, anchor and timings, and with `--eval` the
/// keys of `eval --json` (`dataset`, `task`, `models`) with a `role` per model entry.
struct FuseReport: Encodable {
    struct Timings: Encodable { var activations, transport, writing, total: Double }
    var output: String
    var method: String
    var anchor: Int
    var timings: Timings
    var evaluation: EvalReport?

    enum Keys: String, CodingKey { case output, method, anchor, timings, dataset, task, models }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(output, forKey: .output)
        try container.encode(method, forKey: .method)
        try container.encode(anchor, forKey: .anchor)
        try container.encode(timings, forKey: .timings)
        if let evaluation {
            try container.encode(evaluation.dataset, forKey: .dataset)
            try container.encode(evaluation.task, forKey: .task)
            try container.encode(evaluation.models, forKey: .models)
        }
    }
}

extension FusionOptions.Method: ExpressibleByArgument {}
extension FusionOptions.Alignment: ExpressibleByArgument {}
extension FusionOptions.Solver: ExpressibleByArgument {}
