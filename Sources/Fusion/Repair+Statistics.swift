import Foundation
import Inference
import NamingSchemes
import WeightStore

extension Repair {
    /// Measures the ``SiteMoments`` of the sites `wanted` for one model (a parent or the fused
    /// model) on the first `numSamples` inputs of `calibration`, raw (not normalised), every
    /// token kept.
    ///
    /// The model runs through `depth` encoder layers only (`nil`: all) and without its task
    /// heads, so measuring a site of layer `l` costs a forward pass through layers `0…l`.
    /// BERT's `embeddings` site (the sum before `embeddings.LayerNorm`, which the forward
    /// pass does not expose) is computed from the embedding tables and the token ids.
    /// - Throws: ``FusionError/repair(_:)`` naming the model and the file when the model
    ///   cannot run the calibration data (wrong task, image size, vocabulary, no config).
    static func measure(_ store: WeightStore, label: String, architecture: Architecture,
                        calibration: EvalDataset, numSamples: Int, depth: Int?,
                        wanted: Set<String>) throws -> [String: SiteMoments] {
        let family = architecture.family
        var result: [String: SiteMoments] = [:]
        var needsPass = !wanted.isEmpty
        if family == .bert, wanted.contains("embeddings") {
            result["embeddings"] = try bertEmbeddingMoments(store, label: label, calibration: calibration, numSamples: numSamples)
            needsPass = wanted.count > 1
        }
        guard needsPass else { return result }
        let truncated = try truncate(store, depth: depth)
        var collector = SiteCollector(wanted: wanted, family: family, layers: architecture.layers,
                                      norms: try normParameters(store, wanted: wanted, family: family, label: label),
                                      eps: architecture.layerNormEps)
        do {
            let model = try TransformerModel(store: truncated, source: label, heads: architecture.heads)
            let options = ActivationOptions(numSamples: numSamples, sequenceFilter: .all, normalization: .none)
            try ActivationCapture.capture(model: model, dataset: calibration, source: label, options: options) {
                try collector.receive($0, label: label)
            }
        } catch let error as InferenceError {
            throw FusionError.repair("cannot measure the activation statistics of \(label) on the calibration file \(calibration.path): \(error.description)")
        }
        result.merge(collector.moments) { a, _ in a }
        return result
    }

    /// γ and β of the wanted ViT LayerNorm sites (the pre-LayerNorm ViT's LayerNorm outputs are
    /// not recorded: ``SiteCollector`` computes them from the stream); empty for BERT.
    static func normParameters(_ store: WeightStore, wanted: Set<String>, family: Architecture.Family,
                               label: String) throws -> [String: (gamma: [Float], beta: [Float])] {
        var norms: [String: (gamma: [Float], beta: [Float])] = [:]
        guard family == .vit else { return norms }
        for name in wanted where name == "layernorm" || name.hasSuffix(".layernorm_before") || name.hasSuffix(".layernorm_after") {
            guard let g = store[name + ".weight"], let b = store[name + ".bias"] else {
                throw FusionError.repair("\(label): \(name).weight / .bias missing")
            }
            norms[name] = (try g.floats(), try b.floats())
        }
        return norms
    }

    /// The store without task heads and, with `depth`, with `depth` encoder layers in its config
    /// (the tensors of later layers are then ignored by the forward pass). Configs without a
    /// known layer-count key run in full.
    static func truncate(_ store: WeightStore, depth: Int?) throws -> WeightStore {
        let heads = ["classifier.", "pooler.", "cls."]
        let kept = store.tensors.filter { t in !heads.contains { t.name.hasPrefix($0) } }
        var config = store.configJSON
        if let depth, let json = store.configJSON,
           var object = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] {
            var changed = false
            for key in ["num_hidden_layers", "num_layers", "depth"] where object[key] != nil {
                object[key] = depth
                changed = true
            }
            if changed, let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) {
                config = String(decoding: data, as: UTF8.self)
            }
        }
        return try WeightStore(tensors: kept, metadata: store.metadata, configJSON: config)
    }

    /// BERT's embedding sum before its LayerNorm, as a join: `r` = the word embedding of each
    /// token, `s` = its position plus token-type embedding (tokens with attention mask 1 of
    /// the first `numSamples` sequences).
    static func bertEmbeddingMoments(_ store: WeightStore, label: String, calibration: EvalDataset,
                                     numSamples: Int) throws -> SiteMoments {
        guard let tokens = calibration.tokens else {
            throw FusionError.repair("\(calibration.path) holds \(calibration.task.rawValue) data, but \(label) is a BERT and needs token inputs (input_ids); give a calibration file of the models' task")
        }
        func table(_ name: String) throws -> (values: [Float], rows: Int, width: Int) {
            guard let t = store[name], t.shape.count == 2 else {
                throw FusionError.repair("\(label): \(name) is missing or not a matrix (found \(store[name].map { Shape.describe($0.shape) } ?? "no tensor"))")
            }
            return (try t.floats(), t.shape[0], t.shape[1])
        }
        let word = try table("embeddings.word_embeddings.weight"), position = try table("embeddings.position_embeddings.weight")
        let type = try table("embeddings.token_type_embeddings.weight")
        let h = word.width
        guard position.width == h, type.width == h else {
            throw FusionError.repair("\(label): embedding widths differ (word \(h), position \(position.width), token type \(type.width))")
        }
        guard tokens.length <= position.rows else {
            throw FusionError.repair("\(calibration.path): sequences of \(tokens.length) tokens exceed the \(position.rows) position embeddings of \(label)")
        }
        var r: [Float] = [], s: [Float] = []
        var rows = 0
        for n in 0..<min(tokens.count, numSamples) {
            for t in 0..<tokens.length {
                let index = n * tokens.length + t
                if let mask = tokens.attentionMask, mask[index] == 0 { continue }
                let id = tokens.inputIDs[index], tt = tokens.tokenTypeIDs?[index] ?? 0
                guard id >= 0, id < word.rows, tt >= 0, tt < type.rows else {
                    throw FusionError.repair("\(calibration.path): token id \(id) / type \(tt) (sequence \(n), position \(t)) is outside the \(word.rows) word / \(type.rows) token-type embeddings of \(label)")
                }
                r.append(contentsOf: word.values[(id * h)..<((id + 1) * h)])
                for c in 0..<h { s.append(position.values[t * h + c] + type.values[tt * h + c]) }
                rows += 1
            }
        }
        return SiteMoments(residual: r, written: s, rows: rows, width: h)
    }
}

/// Turns the module outputs of one forward pass (handed over in model order, stage by
/// stage) into the moments of the wanted sites, keeping only the current layer's modules and
/// its input (the stream entering the layer).
struct SiteCollector {
    let wanted: Set<String>
    let family: Architecture.Family
    /// Encoder layers of the model (the final ViT `layernorm` follows the last).
    let layers: Int
    /// ViT LayerNorm parameters (γ, β) of the wanted `norm` sites.
    let norms: [String: (gamma: [Float], beta: [Float])]
    let eps: Double
    private(set) var moments: [String: SiteMoments] = [:]
    /// The stream entering the current layer (`embeddings` or the previous layer's output).
    private var input: ActivationMatrix?
    /// This layer's modules, by the name after `encoder.layer.N.`.
    private var current: [String: ActivationMatrix] = [:]
    private static let kept: Set<String> = ["attention.output.dense", "attention", "intermediate.dense", "output.dense"]

    init(wanted: Set<String>, family: Architecture.Family, layers: Int,
         norms: [String: (gamma: [Float], beta: [Float])], eps: Double) {
        self.wanted = wanted
        self.family = family
        self.layers = layers
        self.norms = norms
        self.eps = eps
    }

    mutating func receive(_ m: ActivationMatrix, label: String) throws {
        if m.name == "embeddings" {
            // ViT: the stream the embeddings write; BERT: the output of embeddings.LayerNorm.
            let site = family == .vit ? "embeddings" : "embeddings.LayerNorm"
            if wanted.contains(site) { moments[site] = SiteMoments(values: m.values, rows: m.rows, width: m.width) }
            input = m
            return
        }
        let prefix = "encoder.layer."
        guard m.name.hasPrefix(prefix) else { return }
        let rest = m.name.dropFirst(prefix.count)
        guard let dot = rest.firstIndex(of: ".") else {
            if let layer = Int(rest) { try finish(layer: layer, output: m, label: label) }
            input = m
            current = [:]
            return
        }
        let part = String(rest[rest.index(after: dot)...])
        if Self.kept.contains(part) { current[part] = m }
    }

    /// Moments of a ViT LayerNorm's output on `x`, with the norm's own γ and β.
    private func normMoments(_ name: String, _ x: ActivationMatrix) throws -> SiteMoments {
        guard let p = norms[name], p.gamma.count == x.width, p.beta.count == x.width else {
            throw FusionError.repair("\(name): no γ / β of \(x.width) channels to measure its output")
        }
        return SiteMoments(layerNorm: x.values, rows: x.rows, width: x.width, gamma: p.gamma, beta: p.beta, eps: eps)
    }

    /// Computes the wanted sites of `layer` once its output has arrived.
    private mutating func finish(layer: Int, output: ActivationMatrix, label: String) throws {
        let p = "encoder.layer.\(layer)."
        func module(_ part: String) throws -> ActivationMatrix {
            guard let m = current[part] else {
                throw FusionError.repair("\(label): the forward pass recorded no \(p + part)")
            }
            return m
        }
        func layerInput() throws -> ActivationMatrix {
            guard let input else { throw FusionError.repair("\(label): the forward pass recorded no input of \(p.dropLast())") }
            return input
        }
        func join(_ r: ActivationMatrix, _ s: ActivationMatrix) throws -> SiteMoments {
            guard r.rows == s.rows, r.width == s.width else {
                throw FusionError.repair("\(label): \(r.name) is [\(r.rows), \(r.width)] but \(s.name) is [\(s.rows), \(s.width)]; a residual join needs equal shapes")
            }
            return SiteMoments(residual: r.values, written: s.values, rows: r.rows, width: r.width)
        }
        func single(_ m: ActivationMatrix) -> SiteMoments { SiteMoments(values: m.values, rows: m.rows, width: m.width) }
        /// ViT (pre-LayerNorm): the stream after the attention join, input plus attention output.
        func attentionStream() throws -> ActivationMatrix {
            let x = try layerInput(), o = try module("attention.output.dense")
            guard x.rows == o.rows, x.width == o.width else { throw FusionError.repair("\(label): \(x.name) and \(o.name) differ in shape") }
            return ActivationMatrix(name: p + "attention.residual", rows: x.rows, width: x.width,
                                    values: zip(x.values, o.values).map { $0 + $1 })
        }
        if family == .vit, wanted.contains(p + "layernorm_before") {
            moments[p + "layernorm_before"] = try normMoments(p + "layernorm_before", try layerInput())
        }
        if wanted.contains(p + "attention.output.dense") { moments[p + "attention.output.dense"] = single(try module("attention.output.dense")) }
        if wanted.contains(p + "attention.residual") {
            moments[p + "attention.residual"] = try join(try layerInput(), try module("attention.output.dense"))
        }
        if family == .vit, wanted.contains(p + "layernorm_after") {
            moments[p + "layernorm_after"] = try normMoments(p + "layernorm_after", try attentionStream())
        }
        if family == .bert, wanted.contains(p + "attention.output.LayerNorm") {
            moments[p + "attention.output.LayerNorm"] = single(try module("attention"))
        }
        if wanted.contains(p + "intermediate.dense") { moments[p + "intermediate.dense"] = single(try module("intermediate.dense")) }
        if wanted.contains(p + "output.residual") {
            // ViT: the residual is the stream after the attention join; BERT (post-LayerNorm):
            // the normalised attention block output.
            let r = family == .vit ? try attentionStream() : try module("attention")
            moments[p + "output.residual"] = try join(r, try module("output.dense"))
        }
        if family == .bert, wanted.contains(p + "output.LayerNorm") { moments[p + "output.LayerNorm"] = single(output) }
        if family == .vit, layer == layers - 1, wanted.contains("layernorm") {
            moments["layernorm"] = try normMoments("layernorm", output)
        }
    }
}
