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
/// Cost: each model runs layer by layer on the calibration inputs (``StagedForward``): one pass
/// of each parent through each layer, and five of the fused model (one per refitted group, one
/// to move on), plus one `(in + 1)²` Cholesky solve per group; memory: every model's stream and
/// one layer's outputs on the calibration tokens, and the `tokens × (in + 1)` inputs in double.
public enum Refit {
    /// Linear layers that read the same input, refitted together.
    struct Group: Sendable, Equatable {
        /// The layers' canonical names (without `.weight`). Their shared input is recorded under
        /// the first one's name + ``ActivationCapture/inputSuffix``.
        let layers: [String]
        /// Per layer, the place of the transport map its outputs were aligned with; `nil` for
        /// the classifier (the parents' classes are the same).
        let mapPlaces: [String?]
    }

    /// The groups of encoder layer `l`, in forward order.
    static func layerGroups(family: Architecture.Family, layer l: Int) -> [Group] {
        let p = "encoder.layer.\(l)."
        let attention = p + (family == .vit ? "attention.attention." : "attention.self.")
        let q = attention + "query", k = attention + "key", v = attention + "value"
        let o = p + "attention.output.dense", fc1 = p + "intermediate.dense", fc2 = p + "output.dense"
        return [Group(layers: [q, k, v], mapPlaces: [q, k, v]),
                Group(layers: [o], mapPlaces: [p + "attention.residual"]),
                Group(layers: [fc1], mapPlaces: [fc1]),
                Group(layers: [fc2], mapPlaces: [p + "output.residual"])]
    }

    /// Checks, before any fusion work, that every model can run `calibration` (its task, image
    /// size, vocabulary, config), as ``Repair/check(_:calibration:)`` does for REPAIR's file.
    /// - Throws: ``FusionError/refit(_:)`` naming the model, the file and the mismatch.
    public static func check(_ inputs: [FusionInput], calibration: EvalDataset) throws {
        if let problem = try Repair.calibrationProblem(inputs, calibration: calibration) { throw FusionError.refit(problem) }
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
        var warnings: [String] = []
        var plan = (0..<anchor.layers).map { layerGroups(family: anchor.family, layer: $0) }
        let classifier = Group(layers: ["classifier"], mapPlaces: [nil])
        if refit.classifier, anchor.family == .vit {
            if let reason = classifierMismatch(inputs, anchor: anchorIndex) {
                warnings.append("refit: \(reason); classifier left as fused")
            } else {
                plan.append([classifier])
            }
        }

        // Each model runs layer by layer on the calibration inputs; the fused model's layer is
        // run again after each group of it is refitted.
        let parents = try inputs.map { try Self.model($0.model.store, label: $0.label, architecture: $0.model.architecture) }
        var parentPasses = try zip(inputs, parents).map { input, model in
            try Self.running { try StagedForward(model: model, dataset: calibration, numSamples: samples, source: input.label) }
        }
        var store = fused.store
        var model = try Self.model(store, label: "the fused model", architecture: anchor)
        var pass = try Self.running { try StagedForward(model: model, dataset: calibration, numSamples: samples, source: "the fused model") }
        var reports: [RefitLayerReport] = []

        for (index, groups) in plan.enumerated() {
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
            let isClassifier = groups == [classifier]
            progress("refit: \(isClassifier ? "the classifier" : "encoder layer \(index)") (\(usable.flatMap(\.layers).count) linear layers)")
            // The parents' outputs of the layers refitted here (their targets), nothing else.
            let refitted = Set(usable.flatMap(\.layers))
            var outputs: [[String: ActivationMatrix]] = []
            for k in inputs.indices {
                let recorded = try Self.running {
                    isClassifier ? try parentPasses[k].classifier(of: parents[k], linearInputs: false, only: refitted)
                                 : try parentPasses[k].layer(of: parents[k], linearInputs: false, advance: true, only: refitted)
                }
                outputs.append(Dictionary(recorded.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }))
            }
            for group in usable {
                let key = group.layers[0] + ActivationCapture.inputSuffix
                let recorded = try Self.running {
                    isClassifier ? try pass.classifier(of: model, linearInputs: true, only: [key])
                                 : try pass.layer(of: model, linearInputs: true, advance: false, only: [key])
                }
                guard let x = recorded.first(where: { $0.name == key }) else {
                    throw FusionError.refit("the fused model records no \(key) on \(calibration.path)")
                }
                let targets = try zip(group.layers, group.mapPlaces).map { name, place in
                    try target(name, outputs: outputs, maps: place.flatMap { maps[$0] } ?? [:],
                               coefficients: Fuser.coefficients(name, count: inputs.count, anchor: anchorIndex, weights: weights, options: options),
                               anchor: anchorIndex, labels: labels)
                }
                let fitted = try fit(group.layers, input: x, targets: targets, ridge: refit.ridge, store: &store)
                for report in fitted {
                    progress(String(format: "refit: %@: mean squared error %.4g → %.4g", report.layer, report.errorBefore, report.errorAfter))
                }
                reports += fitted
                model = try Self.model(store, label: "the fused model", architecture: anchor)
            }
            if !isClassifier { _ = try Self.running { try pass.layer(of: model, linearInputs: false, advance: true, only: []) } }
        }
        return RefitResult(store: store, layers: reports, warnings: warnings, seconds: Date().timeIntervalSince(started))
    }

    /// `store` as a runnable model, task heads included (the ViT classifier is refitted last).
    static func model(_ store: WeightStore, label: String, architecture: Architecture) throws -> TransformerModel {
        try running { try TransformerModel(store: store, source: label, heads: architecture.heads) }
    }

    /// `body`, with the Inference module's errors turned into ``FusionError/refit(_:)``.
    static func running<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as InferenceError {
            throw FusionError.refit("cannot run the calibration inputs: \(error.description)")
        }
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
