import Foundation
import Inference
import NamingSchemes
import Transport
import WeightStore

/// How well one refitted linear layer reproduces its targets on the calibration inputs.
public struct RefitLayerReport: Sendable, Equatable {
    /// The layer (`encoder.layer.0.attention.attention.query`, `classifier`).
    public var layer: String
    /// Mean squared difference between the layer's outputs and its targets, over every
    /// calibration token and output channel, with the fused weights and with the refitted ones
    /// (both on the inputs the layer receives once every earlier layer was refitted).
    public var errorBefore: Double
    public var errorAfter: Double
}

/// The refitted model and a record of the work.
public struct RefitResult: Sendable {
    /// The fused model with refitted linear layers (canonical layout, the anchor's shapes).
    public var store: WeightStore
    /// One entry per refitted layer, in forward order.
    public var layers: [RefitLayerReport]
    /// Layers left as fused (no transport map there, e.g. a `fuse_*` switch was off, or
    /// classifiers that differ).
    public var warnings: [String]
    /// Seconds spent.
    public var seconds: Double
}

/// The least-squares refit of a fused model's linear layers on calibration inputs.
///
/// A fused layer averages aligned parent layers; its outputs then differ from the average of the
/// parents' outputs, and the difference grows with depth. The refit replaces each linear layer
/// `y = W·x + b` of the fused model, in forward order, by the solution of the ridge problem
///
///     min over [W | b] of  ‖X₁·[W | b]ᵀ − Y*‖² + λ·‖[W | b] − [W₀ | b₀]‖²
///
/// where `X₁` (`tokens × (in + 1)`, a column of ones for the bias) holds the layer's inputs in
/// the fused model as refitted so far (every calibration token), `[W₀ | b₀]` the fused weights,
/// `λ = ridge · mean(diag X₁ᵀX₁)`, and the target `Y* = Σ_k w_k · Y_k · T̃_k` is the weighted
/// average of the parents' *own* outputs of that layer (`Y_k`, `tokens × out_k`, each parent
/// run on the same inputs) mapped into the anchor's channels by the transport map the layer's
/// outputs were aligned with, each anchor column scaled to sum to 1 (`T̃_k`, the identity for
/// the anchor) — the targets of ``Repair``, with whole activations instead of moments.
///
/// Layers, per encoder layer: query, key and value (one shared input, one system), the
/// attention output (targets through the stream map after the attention join), the MLP's first
/// layer (through its own map) and its second (through the stream map after the MLP join);
/// then the ViT classifier (targets: the weighted average of the parents' logits). Embeddings
/// and LayerNorms stay as fused. Each layer's inputs are measured after every earlier layer was
/// refitted, so a layer corrects what the ones before it left.
///
/// A model fused with a permuted copy of itself already reproduces its targets exactly; the
/// refit then leaves it as it is (up to float rounding).
///
/// Cost: per encoder layer one forward pass of each parent and four of the fused model, each
/// through the layers up to that one (quadratic in depth), plus one `(in + 1)²` Cholesky
/// solve per group; memory: one layer's outputs of every model on the calibration tokens.
public enum Refit {
    /// Linear layers that read the same input, refitted together.
    struct Group: Sendable, Equatable {
        /// The layers' canonical names (without `.weight`).
        let layers: [String]
        /// Where the inputs are recorded: `<input>` + ``ActivationCapture/inputSuffix``.
        let input: String
        /// Per layer, the place of the transport map its outputs were aligned with; `nil` for
        /// the classifier (the parents' classes are the same).
        let mapPlaces: [String?]
        /// Encoder layers the forward pass runs (`nil`: all, with the task head).
        let depth: Int?
    }

    /// The groups of encoder layer `l`, in forward order.
    static func layerGroups(family: Architecture.Family, layer l: Int) -> [Group] {
        let p = "encoder.layer.\(l)."
        let attention = p + (family == .vit ? "attention.attention." : "attention.self.")
        let q = attention + "query", k = attention + "key", v = attention + "value"
        let o = p + "attention.output.dense", fc1 = p + "intermediate.dense", fc2 = p + "output.dense"
        return [Group(layers: [q, k, v], input: q, mapPlaces: [q, k, v], depth: l + 1),
                Group(layers: [o], input: o, mapPlaces: [p + "attention.residual"], depth: l + 1),
                Group(layers: [fc1], input: fc1, mapPlaces: [fc1], depth: l + 1),
                Group(layers: [fc2], input: fc2, mapPlaces: [p + "output.residual"], depth: l + 1)]
    }

    /// Refits the linear layers of `fused` (from ``Fuser/fuse(_:options:keepMaps:progress:)``
    /// with `keepMaps: true`, possibly corrected by ``Repair`` first; `method: vanilla` needs no maps).
    /// - Parameters:
    ///   - inputs: the models that were fused, in the same order.
    ///   - options: the fusion's options (anchor, weights, method, `acts.num_samples`).
    ///   - calibration: inputs of the models' task; the first `refit.numSamples ??
    ///     options.numSamples` are used (every token of each).
    ///   - progress: one line per stage (for stderr).
    /// - Returns: the refitted store (same tensor names, shapes and dtypes as `fused.store`).
    /// - Throws: ``FusionError/refit(_:)`` when the result has no maps, a model cannot run the
    ///   calibration file, shapes do not fit, or a system is singular; the argument errors of
    ///   ``Fuser``.
    public static func refit(_ inputs: [FusionInput], fused: FusionResult, options: FusionOptions,
                             calibration: EvalDataset, refit: RefitOptions = RefitOptions(),
                             progress: (String) -> Void = { _ in }) throws -> RefitResult {
        let started = Date()
        let weights = try Fuser.checkArguments(inputs, options)
        guard refit.ridge > 0, refit.ridge.isFinite else {
            throw FusionError.refit("the ridge strength must be a finite number > 0, got \(refit.ridge)")
        }
        let samples = refit.numSamples ?? options.numSamples
        guard samples > 0 else { throw FusionError.refit("the number of calibration samples must be positive, got \(samples)") }
        if options.method == .ot, fused.maps.isEmpty {
            throw FusionError.refit("the fusion result carries no transport maps; fuse with keepMaps: true (the targets are the parents' outputs mapped through them)")
        }
        let anchorIndex = options.anchor
        let anchor = inputs[anchorIndex].model.architecture
        let maps = fused.mapsByPlace()
        let labels = inputs.map(\.label)
        var state = Fitting(store: fused.store, ridge: refit.ridge, samples: samples, calibration: calibration)
        var warnings: [String] = []

        var plan = (0..<anchor.layers).map { layerGroups(family: anchor.family, layer: $0) }
        if refit.classifier, anchor.family == .vit {
            if let reason = classifierMismatch(inputs, anchor: anchorIndex) {
                warnings.append("refit: \(reason); classifier left as fused")
            } else {
                plan.append([Group(layers: ["classifier"], input: "classifier", mapPlaces: [nil], depth: nil)])
            }
        }
        for groups in plan {
            let usable = groups.filter { group in
                guard options.method == .ot else { return true }
                let missing = group.mapPlaces.compactMap { $0 }.filter { place in
                    inputs.indices.contains { $0 != anchorIndex && maps[place]?[$0] == nil }
                }
                if !missing.isEmpty {
                    warnings.append("refit: no transport map at \(missing.joined(separator: ", ")) (a fuse_* switch is off, or one stream map for all layers?); \(group.layers.joined(separator: ", ")) left as fused")
                }
                return missing.isEmpty
            }
            guard let first = usable.first else { continue }
            progress("refit: outputs of the \(inputs.count) models \(first.depth.map { "through encoder layer \($0 - 1)" } ?? "with the classifier")")
            let wanted = Set(usable.flatMap(\.layers))
            let outputs = try inputs.map { input in
                try state.capture(input.model.store, label: input.label, architecture: input.model.architecture,
                                  depth: first.depth, wanted: wanted)
            }
            for group in usable {
                let targets = try zip(group.layers, group.mapPlaces).map { name, place in
                    try target(name, outputs: outputs, maps: place.flatMap { maps[$0] } ?? [:],
                               coefficients: Fuser.coefficients(name, count: inputs.count, anchor: anchorIndex, weights: weights, options: options),
                               anchor: anchorIndex, labels: labels)
                }
                for report in try state.fit(group, architecture: anchor, targets: targets) {
                    progress(String(format: "refit: %@: mean squared error %.4g → %.4g", report.layer, report.errorBefore, report.errorAfter))
                }
            }
        }
        return RefitResult(store: state.store, layers: state.reports, warnings: warnings, seconds: Date().timeIntervalSince(started))
    }

    /// Why the parents' classifiers cannot be averaged output by output, or `nil` when they can.
    static func classifierMismatch(_ inputs: [FusionInput], anchor: Int) -> String? {
        let shapes = inputs.map { $0.model.store["classifier.weight"]?.shape }
        guard let shape = shapes[anchor] else { return "the anchor has no classifier" }
        if let k = shapes.firstIndex(where: { $0 != shape }) {
            return "\(inputs[k].label)'s classifier is \(shapes[k].map { Shape.describe($0) } ?? "missing"), the anchor's \(Shape.describe(shape))"
        }
        return nil
    }
}
