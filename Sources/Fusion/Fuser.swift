import Foundation
import NamingSchemes
import Transport
import WeightStore

/// One model to fuse: its canonical form, a label for messages (its path) and, for activation
/// alignment, its activations.
public struct FusionInput: Sendable {
    public var label: String
    public var model: CanonicalModel
    public var activations: ActivationSet?

    public init(label: String, model: CanonicalModel, activations: ActivationSet? = nil) {
        self.label = label
        self.model = model
        self.activations = activations
    }
}

/// The fused model and what was computed on the way.
public struct FusionResult: Sendable {
    /// The fused model in the canonical layout, with the anchor's shapes, metadata and config.
    public var store: WeightStore
    /// Every transport map, named `model<k>/<place in the flow graph>` (`k` the model index).
    public var maps: [(name: String, map: TransportMap)]
    /// Seconds spent on ground metrics and OT.
    public var transportSeconds: Double
    /// Non-fatal notes (solver warnings are reported through `progress`).
    public var warnings: [String]
}

/// Fuses N models into the anchor's shapes (section 7 of ALGORITHM.md).
public enum Fuser {
    /// Fuses `inputs` by `options.method`.
    /// - Parameters:
    ///   - keepMaps: return every transport map in the result (for `--save-maps` / `--plot-maps`);
    ///     off by default, since the MLP maps of large models take hundreds of megabytes.
    ///   - progress: receives one line per stage / layer (for stderr).
    /// - Throws: `FusionError` for incompatible models, non-finite weights, bad options —
    ///   all checked before any alignment work.
    public static func fuse(_ inputs: [FusionInput], options: FusionOptions, keepMaps: Bool = false,
                            progress: @escaping (String) -> Void = { _ in }) throws -> FusionResult {
        var fused: [String: Tensor] = [:]
        let summary = try stream(inputs, options: options, keepMaps: keepMaps, progress: progress) { fused[$0.name] = $0 }
        let anchor = inputs[options.anchor].model.store
        let tensors = try anchor.tensors.map { tensor -> Tensor in
            guard let t = fused[tensor.name] else {
                throw FusionError.tensorShape(model: "the fused model", tensor: tensor.name, expected: "a tensor (the anchor has one)", found: "none")
            }
            return t
        }
        let store = try WeightStore(tensors: tensors, metadata: anchor.metadata, configJSON: anchor.configJSON)
        return FusionResult(store: store, maps: summary.maps, transportSeconds: summary.transportSeconds, warnings: summary.warnings)
    }

    /// The checks `fuse` runs before any alignment work — arguments, compatible models (family,
    /// depth, heads, task head, vocabulary or patches), finite weights — alone, for callers that
    /// do other work first (`transfuse sweep` checks the models before reading its datasets).
    /// - Returns: the normalised model weights `fuse` would use.
    /// - Throws: the `FusionError` that `fuse` would throw for the same inputs and options.
    @discardableResult
    public static func check(_ inputs: [FusionInput], options: FusionOptions) throws -> [Double] {
        let weights = try checkArguments(inputs, options)
        try FusionChecks.compatible(inputs, options: options)
        try FusionChecks.finite(inputs)
        return weights
    }

    /// The tied pairs of the anchor whose copy follows the original in the fused model: the
    /// MLM decoder weight (the word embeddings) and its bias (`cls.predictions.bias`), when the
    /// anchor stores them and they are tied (not `stored-untied`).
    static func tiedCopies(_ anchor: CanonicalModel) -> [(copy: String, original: String)] {
        guard anchor.architecture.tiedDecoder != .storedUntied else { return [] }
        return [("cls.predictions.decoder.weight", "embeddings.word_embeddings.weight"),
                ("cls.predictions.decoder.bias", "cls.predictions.bias")]
            .filter { anchor.store.contains($0.0) && anchor.store.contains($0.1) }
    }

    /// The weights when none are given: OT fusion gives the anchor half and the other models
    /// equal shares of the other half (uniform for two models; for three digit ViTs uniform
    /// thirds measured 10.6% one-shot, anchor-half 23.7%, and 74% with `--repair`: every
    /// non-anchor model is only approximately aligned, so the anchor holds the result
    /// together); the vanilla average is uniform.
    static func defaultWeights(count: Int, anchor: Int, method: FusionOptions.Method) -> [Double] {
        guard method == .ot, count > 2 else { return Array(repeating: 1 / Double(count), count: count) }
        return (0..<count).map { $0 == anchor ? 0.5 : 0.5 / Double(count - 1) }
    }

    /// Normalised model weights.
    static func checkArguments(_ inputs: [FusionInput], _ options: FusionOptions) throws -> [Double] {
        guard inputs.count >= 2 else {
            throw FusionError.invalidArguments("fusion needs at least two models, got \(inputs.count)")
        }
        guard inputs.indices.contains(options.anchor) else {
            throw FusionError.invalidArguments("--anchor \(options.anchor) is out of range: \(inputs.count) models, indices 0…\(inputs.count - 1)")
        }
        guard let w = options.modelWeights else { return defaultWeights(count: inputs.count, anchor: options.anchor, method: options.method) }
        guard w.count == inputs.count else {
            throw FusionError.invalidArguments("--weights has \(w.count) values for \(inputs.count) models; give one per model, in model order")
        }
        guard w.allSatisfy({ $0 >= 0 && $0.isFinite }), w.reduce(0, +) > 0 else {
            throw FusionError.invalidArguments("--weights \(w.map { "\($0)" }.joined(separator: ",")): weights must be finite, >= 0 and not all zero")
        }
        let total = w.reduce(0, +)
        return w.map { $0 / total }
    }

    /// The coefficients of (model k, anchor) for tensor `name`: the user's weights, or the
    /// reference's (anchor 0.5 in encoder layers whatever N is, 1/N elsewhere, pairwise results averaged).
    static func coefficients(_ name: String, count: Int, anchor: Int, weights: [Double], options: FusionOptions) -> [Double] {
        guard options.compat == .reference else { return weights }
        let encoder = name.hasPrefix("encoder.layer.")
        let anchorWeight = encoder ? 0.5 : 1 / Double(count)
        let other = (1 - anchorWeight) / Double(count - 1)
        return (0..<count).map { $0 == anchor ? anchorWeight : other }
    }
}
