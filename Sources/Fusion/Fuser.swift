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
        let weights = try checkArguments(inputs, options)
        try FusionChecks.compatible(inputs, options: options)
        try FusionChecks.finite(inputs)
        let anchorIndex = options.anchor
        let anchor = ModelView(label: inputs[anchorIndex].label, model: inputs[anchorIndex].model)
        var warnings: [String] = []
        if options.method == .vanilla {
            return FusionResult(store: try vanilla(inputs, anchor: anchor, weights: weights), maps: [],
                                transportSeconds: 0, warnings: warnings)
        }
        var aligned: [Int: [String: [Float]]] = [:]
        var maps: [(String, TransportMap)] = []
        var seconds = 0.0
        for k in inputs.indices where k != anchorIndex {
            progress("aligning model \(k) (\(inputs[k].label)) to the anchor (model \(anchorIndex))")
            let pair: ActivationPair?
            if options.alignment == .activations {
                guard let s = inputs[k].activations, let a = inputs[anchorIndex].activations else {
                    throw FusionError.activations("activation alignment needs activations for every model: give --data FILE.h5 or --activations (one file per model)")
                }
                pair = ActivationPair(source: s, anchor: a, sourceLabel: inputs[k].label, anchorLabel: anchor.label)
            } else {
                pair = inputs[k].activations.flatMap { s in inputs[anchorIndex].activations.map {
                    ActivationPair(source: s, anchor: $0, sourceLabel: inputs[k].label, anchorLabel: anchor.label) } }
            }
            let aligner = PairAligner(source: ModelView(label: inputs[k].label, model: inputs[k].model), anchor: anchor,
                                      options: options, activations: pair, keepMaps: keepMaps, progress: progress)
            switch anchor.architecture.family {
            case .vit: try aligner.alignViT()
            case .bert: try aligner.alignBERT()
            }
            aligned[k] = aligner.aligned
            maps += aligner.maps.map { ("model\(k)/\($0.name)", $0.map) }
            seconds += aligner.transportSeconds
        }
        if options.compat == .reference, options.modelWeights != nil {
            warnings.append("compat: reference weighs the models as the reference code does (1/N outside the encoder layers, anchor 0.5 inside); --weights is ignored")
        }
        let store = try combine(anchor: anchor, aligned: &aligned, weights: weights, options: options)
        return FusionResult(store: store, maps: maps, transportSeconds: seconds, warnings: warnings)
    }

    /// Normalised model weights.
    static func checkArguments(_ inputs: [FusionInput], _ options: FusionOptions) throws -> [Double] {
        guard inputs.count >= 2 else {
            throw FusionError.invalidArguments("fusion needs at least two models, got \(inputs.count)")
        }
        guard inputs.indices.contains(options.anchor) else {
            throw FusionError.invalidArguments("--anchor \(options.anchor) is out of range: \(inputs.count) models, indices 0…\(inputs.count - 1)")
        }
        guard let w = options.modelWeights else { return Array(repeating: 1 / Double(inputs.count), count: inputs.count) }
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

    /// Weighted sum of the aligned models and the anchor, tensor by tensor, in the anchor's
    /// order and dtypes; tensors outside the flow graph (buffers) are the anchor's.
    static func combine(anchor: ModelView, aligned: inout [Int: [String: [Float]]], weights: [Double],
                        options: FusionOptions) throws -> WeightStore {
        var tensors: [Tensor] = []
        var fusedByName: [String: Tensor] = [:]
        for tensor in anchor.store.tensors {
            let spec = tensor.name
            let alignedVersions = aligned.compactMapValues { $0[spec] }
            for k in aligned.keys { aligned[k]?[spec] = nil }   // free each aligned copy once used
            guard tensor.dtype.isFloatingPoint, alignedVersions.count == aligned.count else {
                tensors.append(tensor)
                continue
            }
            let c = coefficients(spec, count: weights.count, anchor: options.anchor, weights: weights, options: options)
            let a = try anchor.vector(spec)
            var out = a.map { $0 * c[options.anchor] }
            for (k, values) in alignedVersions {
                guard values.count == out.count else {
                    throw FusionError.tensorShape(model: "model \(k) after alignment", tensor: spec,
                                                  expected: "\(out.count) values (\(Shape.describe(tensor.shape)))", found: "\(values.count)")
                }
                for j in out.indices { out[j] += c[k] * Double(values[j]) }
            }
            let fused = try Tensor.fromFloats(name: spec, shape: tensor.shape, values: out.map(Float.init), dtype: tensor.dtype)
            fusedByName[spec] = fused
            tensors.append(fused)
            tensor.source.release()
        }
        // The tied MLM decoder follows the fused word embeddings (and the output bias).
        for (copy, original) in [("cls.predictions.decoder.weight", "embeddings.word_embeddings.weight"),
                                 ("cls.predictions.decoder.bias", "cls.predictions.bias")] {
            if let index = tensors.firstIndex(where: { $0.name == copy }), let fused = fusedByName[original],
               anchor.architecture.tiedDecoder != .storedUntied {
                tensors[index] = fused.renamed(copy)
            }
        }
        return try WeightStore(tensors: tensors, metadata: anchor.store.metadata, configJSON: anchor.store.configJSON)
    }

    /// The (weighted) average of equally shaped models.
    static func vanilla(_ inputs: [FusionInput], anchor: ModelView, weights: [Double]) throws -> WeightStore {
        var tensors: [Tensor] = []
        for tensor in anchor.store.tensors {
            guard tensor.dtype.isFloatingPoint else { tensors.append(tensor); continue }
            var out = [Double](repeating: 0, count: tensor.elementCount)
            for (k, input) in inputs.enumerated() {
                guard let t = input.model.store[tensor.name], t.shape == tensor.shape else {
                    let found = input.model.store[tensor.name].map { Shape.describe($0.shape) } ?? "no such tensor"
                    throw FusionError.tensorShape(model: input.label, tensor: tensor.name,
                                                  expected: "\(Shape.describe(tensor.shape)) (the anchor's; vanilla averaging needs equal shapes)",
                                                  found: found)
                }
                let values = try t.floats()
                for j in out.indices { out[j] += weights[k] * Double(values[j]) }
                t.source.release()
            }
            tensors.append(try Tensor.fromFloats(name: tensor.name, shape: tensor.shape, values: out.map(Float.init), dtype: tensor.dtype))
        }
        return try WeightStore(tensors: tensors, metadata: anchor.store.metadata, configJSON: anchor.store.configJSON)
    }
}
