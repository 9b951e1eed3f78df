import Foundation
import Inference
import NamingSchemes
import WeightStore

/// What one corrected site looked like before its correction.
public struct RepairSiteReport: Sendable, Equatable {
    /// The site (`embeddings`, `encoder.layer.2.intermediate.dense`, `….attention.residual`…).
    public var site: String
    /// Fused channels at the site.
    public var channels: Int
    /// Mean over channels of |measured − target| of the channel means and standard deviations,
    /// before the correction (after it they agree, up to float error, except `limited` channels).
    public var meanError: Double
    public var stdError: Double
    /// Smallest and largest per-channel factor applied.
    public var scaleRange: ClosedRange<Double>
    /// Join channels whose spread could not be matched within `maxStreamScale`.
    public var limited: Int
}

/// The corrected model and a record of the work.
public struct RepairResult: Sendable {
    /// The fused model with corrected statistics (canonical layout, the anchor's shapes).
    public var store: WeightStore
    /// One entry per corrected site, in forward order.
    public var sites: [RepairSiteReport]
    /// Sites left out (no transport map there, e.g. a `fuse_*` switch was off).
    public var warnings: [String]
    /// Seconds spent (statistics and corrections).
    public var seconds: Double
}

/// The post-fusion statistics correction (REPAIR, Jordan et al. 2023, "REPAIR: REnormalizing
/// Permuted Activations for Interpolation Repair", carried over to Transformers).
///
/// A fused channel averages channels of several parents; where their activations do not line
/// up the average shrinks or drifts, and the fused model's activation statistics collapse
/// layer after layer. The correction rescales and shifts each fused channel so that its mean
/// and standard deviation over calibration inputs equal the weighted average of the aligned
/// parents' statistics. The targets come from the parents' *own* activations mapped through
/// the transport maps of the fusion (``target(_:parents:maps:coefficients:anchor:labels:)``),
/// not from running an aligned copy of a parent (a soft map does not preserve its function).
///
/// Sites (``RepairSite``, chosen by ``RepairOptions/sites``), in forward order: the
/// embeddings' stream, then per layer the attention join (or the attention output), the MLP
/// hidden channels and the MLP join, and optionally the LayerNorm outputs. The
/// fused model's statistics of a site are measured after every earlier site was corrected
/// (``StagedMeasurement``: the model runs layer by layer, the site's layer again after each
/// correction), so each correction sees the statistics the corrected model really has.
///
/// How the corrections live in the weights (no new tensor; the architecture is unchanged):
/// - MLP hidden channel `c` (pre-activation output of `intermediate.dense`) and attention
///   output channel `c` (`attention.output.dense`): `h_c ↦ a_c·h_c + b_c` by scaling weight
///   row `c` and rewriting bias `c` of that layer. Exact: the site then has the target moments.
/// - The residual stream before each LayerNorm, `x = r + s`: `r` is the stream so far
///   (already corrected upstream) and `s` what the sublayer writes (`attention.output.dense`
///   at the attention join, `output.dense` at the MLP join). Only `s` is changed,
///   `s_c ↦ a_c·s_c + b_c` through the writer's row and bias: `b_c` makes the mean exact,
///   `a_c` solves `var(r) + a²var(s) + 2a·cov(r, s) = σ²` (within a bound). Rescaling the
///   stream itself would need every writer and reader of the stream to change, and the
///   LayerNorms that read it do not commute with per-channel scales. The ViT embeddings
///   write the whole stream, so there the change is exact (class token, position embeddings
///   and patch projection); for BERT the sum before `embeddings.LayerNorm` is corrected
///   through the position and token-type tables (the word embeddings are tied to the MLM
///   decoder and stay).
/// - LayerNorm outputs (`norm`, optional): `γ_c ↦ a_c·γ_c`, `β_c ↦ a_c·β_c + b_c`. Exact.
/// When the statistics already match (a model fused with itself or with a permuted copy),
/// every `a_c` is 1 and every `b_c` 0 up to float error: the correction is a no-op.
public enum Repair {
    /// Checks, before any fusion work, that every model can run `calibration` (its task, image
    /// size, vocabulary, config) — the first layer only, without loading the whole model.
    /// - Throws: ``FusionError/repair(_:)`` naming the model, the file and the mismatch.
    public static func check(_ inputs: [FusionInput], calibration: EvalDataset) throws {
        if let problem = try calibrationProblem(inputs, calibration: calibration) { throw FusionError.repair(problem) }
    }

    /// Why one of `inputs` cannot run `calibration` (naming the model and the file), or nil when
    /// all can; the check behind ``check(_:calibration:)`` and ``Refit/check(_:calibration:)``.
    static func calibrationProblem(_ inputs: [FusionInput], calibration: EvalDataset) throws -> String? {
        for input in inputs {
            do {
                let model = try TransformerModel(store: try truncate(input.model.store, depth: 1), source: input.label,
                                                 heads: input.model.architecture.heads)
                try model.check(calibration, source: input.label, needsHead: false)
            } catch let error as InferenceError {
                return "\(input.label) cannot run the calibration file \(calibration.path): \(error.description)"
            }
        }
        return nil
    }

    /// Corrects the statistics of `fused` (from ``Fuser/fuse(_:options:keepMaps:progress:)``
    /// with `keepMaps: true`, or `method: vanilla`, whose maps are the identity).
    /// - Parameters:
    ///   - inputs: the models that were fused, in the same order.
    ///   - options: the fusion's options (anchor, weights, method, `acts.num_samples`).
    ///   - calibration: inputs of the models' task; the first `repair.numSamples ??
    ///     options.numSamples` are used (every token of each).
    ///   - progress: one line per stage (for stderr).
    /// - Returns: the corrected store (same tensor names, shapes and dtypes as `fused.store`).
    /// - Throws: ``FusionError/repair(_:)`` when the result has no maps, a model cannot run the
    ///   calibration file (wrong task, no config), or shapes do not fit; the argument errors of
    ///   ``Fuser``.
    public static func correct(_ inputs: [FusionInput], fused: FusionResult, options: FusionOptions,
                               calibration: EvalDataset, repair: RepairOptions = RepairOptions(),
                               progress: (String) -> Void = { _ in }) throws -> RepairResult {
        let started = Date()
        let weights = try Fuser.checkArguments(inputs, options)
        let anchorIndex = options.anchor
        let anchor = inputs[anchorIndex].model.architecture
        let samples = repair.numSamples ?? options.numSamples
        guard samples > 0 else { throw FusionError.repair("the number of calibration samples must be positive, got \(samples)") }
        if options.method == .ot, fused.maps.isEmpty {
            throw FusionError.repair("the fusion result carries no transport maps; fuse with keepMaps: true (the targets are the parents' statistics mapped through them)")
        }
        let maps = fused.mapsByPlace()
        var warnings: [String] = []
        let sites = RepairSite.forward(family: anchor.family, layers: anchor.layers, options: repair).filter { site in
            guard options.method == .ot else { return true }
            let missing = inputs.indices.filter { $0 != anchorIndex && maps[site.mapPlace]?[$0] == nil }
            if !missing.isEmpty { warnings.append("repair: no transport map at \(site.mapPlace) (a fuse_* switch is off?); \(site.name) left as fused") }
            return missing.isEmpty
        }
        let names = Set(sites.map(\.name))
        let labels = inputs.map(\.label)

        var parents: [[String: SiteMoments]] = []
        for (k, input) in inputs.enumerated() {
            progress("repair: statistics of model \(k) (\(input.label)) on \(min(samples, calibration.count)) calibration samples")
            parents.append(try measure(input.model.store, label: input.label, architecture: input.model.architecture,
                                       calibration: calibration, numSamples: samples, depth: nil, wanted: names))
        }

        var store = fused.store
        var reports: [RepairSiteReport] = []
        var fusedPass = StagedMeasurement(architecture: anchor, calibration: calibration, samples: samples)
        for site in sites {
            let c = Fuser.coefficients(site.name, count: inputs.count, anchor: anchorIndex, weights: weights, options: options)
            let target = try Self.target(site.name, parents: parents, maps: maps[site.mapPlace] ?? [:], coefficients: c,
                                         anchor: anchorIndex, labels: labels)
            let now = try fusedPass.moments(of: site, in: store)
            guard now.width == target.mean.count else {
                throw FusionError.repair("\(site.name): the fused model has \(now.width) channels there, the targets \(target.mean.count)")
            }
            let change = affine(measured: now, target: target, options: repair)
            try apply(change, at: site, family: anchor.family, to: &store)
            let std = now.std
            let n = Double(max(now.width, 1))
            reports.append(RepairSiteReport(
                site: site.name, channels: now.width,
                meanError: zip(now.mean, target.mean).reduce(0) { $0 + abs($1.0 - $1.1) } / n,
                stdError: zip(std, target.std).reduce(0) { $0 + abs($1.0 - $1.1) } / n,
                scaleRange: (change.scale.min() ?? 1)...(change.scale.max() ?? 1), limited: change.limited))
            progress(String(format: "repair: %@: mean error %.4g, std error %.4g, scales %.3g…%.3g%@", site.name,
                            reports.last!.meanError, reports.last!.stdError, change.scale.min() ?? 1, change.scale.max() ?? 1,
                            change.limited > 0 ? ", \(change.limited) channels limited" : ""))
        }
        return RepairResult(store: store, sites: reports, warnings: warnings, seconds: Date().timeIntervalSince(started))
    }
}
