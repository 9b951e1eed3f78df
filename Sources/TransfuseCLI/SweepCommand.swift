import ArgumentParser
import Foundation
import Fusion
import Inference
import NamingSchemes
import WeightStore

/// `transfuse sweep`: fuse the same models under a grid of settings and score every result.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Fuse models under a grid of settings (an ablation) and print one table of one-shot metrics and times.",
        discussion: """
            Each model is read and canonicalised once, and its activations on the first \
            acts.num_samples inputs of --data are computed once (per acts.* setting) and shared by \
            every setting that needs them. Every setting is fused in memory and evaluated on --eval \
            exactly as `fuse --eval` does; a setting that fails is reported in its row. The grid is \
            checked completely before anything runs. Settings with the repair: key are corrected \
            on --data's inputs, as `fuse --repair` does, and settings with the refit: key refitted \
            on them afterwards, as `fuse --refit` does.

            Grid file (YAML; any other top-level key is an error):
              base:       the keys fuse --config takes, plus anchor: K
              vary:       key: [values], each value alone on top of base
              product:    key: [values], every combination on top of base
              baselines:  true | false, parents and vanilla rows (default true)
            A list item may be a mapping that sets several keys at once (the axis name is then only a \
            name), dotted keys reach nested sections (gnd_metric.squared), anchor takes indices or \
            `each`. The base runs first; a setting equal to an earlier one runs once.

            Default grid (no --grid):
            \(SweepGrid.defaultYAML)

            Examples:
              transfuse sweep a b --data calib.h5 --eval test.h5
              transfuse sweep a b --data calib.h5 --eval test.h5 --grid g.yaml --json
            """
    )

    @Argument(help: "The models to fuse (two or more; any format and naming scheme Transfuse reads).")
    var models: [String]

    @Option(help: "Calibration dataset (HDF5) for activation alignment, the weighted residual policies and repair.")
    var data: String?

    @Option(help: "Test dataset (HDF5) on which every setting is scored.")
    var eval: String

    @Option(help: "A grid file (YAML, see above). Default: the built-in ablation.")
    var grid: String?

    @Option(help: "Model weights in model order, comma-separated, normalised to sum 1, for every setting. Default: as fuse (the anchor 1/2, the others equal shares; uniform for two models).")
    var weights: String?

    @OptionGroup var schemeOptions: SchemeOptions

    @Flag(help: "Print one JSON object (models, datasets, settings with resolved options, metrics and seconds) on standard output.")
    var json = false

    func validate() throws {
        guard models.count >= 2 else { throw ValidationError("sweep needs at least two models, got \(models.count)") }
        _ = try FuseSupport.parseWeights(weights)
    }

    func run() throws {
        let started = Date()
        // 1. The whole grid, resolved and checked before any work.
        let sweepGrid: SweepGrid
        if let grid {
            guard let bytes = FileManager.default.contents(atPath: grid) else { throw ValidationError("--grid \(grid): cannot read the file") }
            sweepGrid = try SweepGrid(yaml: String(decoding: bytes, as: UTF8.self), source: grid)
        } else {
            sweepGrid = try SweepGrid.standard()
        }
        // Every value checked before loading anything; resolved again from the family's defaults below.
        _ = try sweepGrid.settings(modelLabels: models, weights: try FuseSupport.parseWeights(weights))

        // 2. Models (read and canonicalised once) and the test set, checked against every parent.
        let loadStart = Date()
        let registry = try schemeOptions.registry()
        let inputs = try FuseSupport.readInputs(models, heads: schemeOptions.heads, registry: registry)
        // Settings start where `fuse` starts: Transfuse's defaults for the family, with or without data.
        let defaults = FusionOptions.defaults(for: inputs[0].model.architecture.family, calibration: data != nil)
        let plan = try sweepGrid.settings(modelLabels: models, weights: try FuseSupport.parseWeights(weights), defaults: defaults)
        // The models must fit together whatever the setting (each setting's own anchor is checked again when it runs).
        try Fuser.check(inputs, options: defaults)
        for warning in plan.warnings { StandardError.line("warning: \(warning)") }
        if data == nil, let needing = plan.settings.first(where: { $0.kind == .fused && FuseSupport.needsActivations($0.options) }) {
            throw ValidationError("setting '\(needing.label)' needs activations: give --data CALIB.h5")
        }
        if data == nil, let repairing = plan.settings.first(where: { $0.repairs || $0.refits }) {
            throw ValidationError("setting '\(repairing.label)' \(repairing.repairs ? "repairs" : "refits") the fused model on calibration inputs: give --data CALIB.h5")
        }
        for duplicate in plan.duplicates {
            StandardError.line("note: \(duplicate.label) resolves to the same settings as \(duplicate.sameAs); run once")
        }

        let testSet = try EvalDataset.read(eval)
        for input in inputs {
            try TransformerModel(store: input.model.store, source: input.label, heads: schemeOptions.heads).check(testSet, source: input.label)
        }
        // As `fuse --repair` reads them: the whole file, checked against every model before any work.
        var calibration: EvalDataset? = nil
        if let data, plan.settings.contains(where: { $0.repairs || $0.refits }) {
            calibration = try EvalDataset.read(data)
            try Repair.check(inputs, calibration: calibration!)
        }
        let loadSeconds = Date().timeIntervalSince(loadStart)

        // 3. Every setting, in order.
        var activations = ActivationCache(inputs: inputs, data: data)
        var rows: [SweepReport.Row] = []
        let count = plan.settings.count
        for (i, setting) in plan.settings.enumerated() {
            StandardError.line("[\(i + 1)/\(count)] \(setting.displayName)")
            var row = SweepReport.Row(setting: setting)
            do {
                try run(setting, inputs: inputs, testSet: testSet, activations: &activations, calibration: calibration, into: &row)
                if let m = row.metrics {
                    let perplexity = m.perplexity.map { String(format: ", perplexity %.3f", $0) } ?? ""
                    StandardError.line(String(format: "  accuracy %.4f, loss %.4f%@ (fusion %.2f s, evaluation %.2f s)",
                                              m.accuracy, m.loss, perplexity, row.seconds.fusion + row.seconds.repair,
                                              row.seconds.evaluation))
                }
            } catch {
                row.error = "\(error)"
                StandardError.line("  failed: \(error)")
            }
            rows.append(row)
        }

        let report = SweepReport(models: models, data: data, eval: eval, task: testSet.task.rawValue,
                                 grid: grid ?? "default", rows: rows,
                                 skipped: plan.duplicates.map { .init(setting: $0.label, sameAs: $0.sameAs) },
                                 timings: .init(loading: loadSeconds, activations: activations.seconds,
                                                total: Date().timeIntervalSince(started)))
        if json { try JSONOutput.print(report) } else { print(report.table()) }
    }

    /// Fuses (unless a parent) and evaluates one setting, filling `row`'s metrics and seconds.
    private func run(_ setting: SweepSetting, inputs: [FusionInput], testSet: EvalDataset,
                     activations: inout ActivationCache, calibration: EvalDataset?, into row: inout SweepReport.Row) throws {
        let store: WeightStore
        switch setting.kind {
        case let .parent(k):
            store = inputs[k].model.store
        case .vanilla, .fused:
            var fusing = inputs
            if FuseSupport.needsActivations(setting.options) {
                let before = activations.seconds
                let sets = try activations.sets(for: setting.options)
                row.seconds.activations = activations.seconds - before   // 0 when cached
                for k in fusing.indices { fusing[k].activations = sets[k] }
            }
            let t = Date()
            // The correction's targets are the parents' statistics mapped through the transport maps.
            var result = try Fuser.fuse(fusing, options: setting.options, keepMaps: setting.repairs || setting.refits) { line in
                if line.contains("warning") { StandardError.line(line) }
            }
            for warning in result.warnings { StandardError.line("  warning: \(warning)") }
            row.seconds.fusion = Date().timeIntervalSince(t)
            row.seconds.transport = result.transportSeconds
            if setting.repairs, let repair = setting.options.repair, let calibration {
                let t = Date()
                let repaired = try Repair.correct(fusing, fused: result, options: setting.options, calibration: calibration,
                                                  repair: repair)
                for warning in repaired.warnings { StandardError.line("  warning: \(warning)") }
                row.seconds.repair = Date().timeIntervalSince(t)
                result.store = repaired.store
            }
            if setting.refits, let refit = setting.options.refit, let calibration {
                let t = Date()
                let refitted = try Refit.refit(fusing, fused: result, options: setting.options, calibration: calibration, refit: refit)
                for warning in refitted.warnings { StandardError.line("  warning: \(warning)") }
                row.seconds.repair += Date().timeIntervalSince(t)
                result.store = refitted.store
            }
            store = result.store
        }
        let t = Date()
        let role = setting.kind == .fused ? "fused" : setting.kind == .vanilla ? "vanilla" : "parent"
        let evaluation = try FuseSupport.evaluate(store, label: setting.label, role: role, dataset: testSet, heads: schemeOptions.heads)
        row.seconds.evaluation = Date().timeIntervalSince(t)
        row.metrics = evaluation
    }
}

/// Each model's activations on the calibration set, computed on first use and kept for every
/// later setting with the same `acts.*` options (sample count, normalisation, token filter).
struct ActivationCache {
    struct Key: Hashable {
        let samples: Int
        let standardize, center, l2Normalize: Bool
        let sequenceFilter: String
        init(_ o: FusionOptions) {
            samples = o.numSamples
            standardize = o.standardize
            center = o.center
            l2Normalize = o.l2Normalize
            sequenceFilter = o.sequenceFilter.rawValue
        }
    }
    let inputs: [FusionInput]
    let data: String?
    private var cache: [Key: [ActivationSet]] = [:]
    /// Seconds spent computing activations (all keys).
    private(set) var seconds = 0.0

    init(inputs: [FusionInput], data: String?) {
        self.inputs = inputs
        self.data = data
    }

    /// One activation set per model, in model order.
    mutating func sets(for options: FusionOptions) throws -> [ActivationSet] {
        let key = Key(options)
        if let sets = cache[key] { return sets }
        guard let data else { throw ValidationError("activations need --data CALIB.h5") }
        let t = Date()
        // As `fuse --data` reads it: the first acts.num_samples samples.
        let dataset = try EvalDataset.read(data, limit: options.numSamples)
        var sets: [ActivationSet] = []
        for input in inputs {
            StandardError.line("  activations of \(input.label) (\(options.numSamples) samples of \(data))")
            sets.append(try ActivationSet.capture(input.model, label: input.label, dataset: dataset, options: options))
        }
        cache[key] = sets
        seconds += Date().timeIntervalSince(t)
        return sets
    }
}

extension SweepSetting {
    /// Whether the fused model is corrected afterwards (the `repair:` key; not for the vanilla
    /// baseline, which `fuse --eval` reports uncorrected too).
    var repairs: Bool { kind == .fused && options.repair != nil }

    /// Whether the fused model's linear layers are refitted afterwards (the `refit:` key; not for
    /// the vanilla baseline).
    var refits: Bool { kind == .fused && options.refit != nil }

    /// How progress lines name the setting.
    var displayName: String {
        switch kind {
        case let .parent(k): return "parent \(k): \(label)"
        case .vanilla: return "vanilla average"
        case .fused: return label
        }
    }
}
