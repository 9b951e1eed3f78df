import Foundation
import WeightStore

/// A BERT encoder (`BertModel`) from the canonical layout of Schemas/bert.json, with the
/// heads present in the store: masked LM (`cls.predictions.*`, decoder tied to the word
/// embeddings), pooler (`pooler.dense`, tanh) and sequence classification (`classifier`).
public struct BERTModel: Sendable {
    public let config: BERTConfiguration
    /// The model's path or label, for error messages.
    public let source: String
    let wordEmbeddings: [Float]
    let positionEmbeddings: [Float]
    let typeEmbeddings: [Float]
    let embeddingNorm: LayerNorm
    let layers: [EncoderLayer]
    let pooler: Linear?
    let classifier: Linear?
    let mlm: MaskedLMHead?

    /// The masked-LM head: dense → activation → LayerNorm → tied decoder + bias.
    struct MaskedLMHead: Sendable {
        let transform: Linear
        let norm: LayerNorm
        let decoder: Linear
    }

    /// The heads this store carries.
    public var hasPooler: Bool { pooler != nil }
    public var hasMaskedLMHead: Bool { mlm != nil }
    /// The sequence classifier's label count, or nil.
    public var labels: Int? { classifier?.outFeatures }

    /// Loads a canonical BERT store (`embeddings.word_embeddings.weight`, …).
    /// - Parameters:
    ///   - source: the model's path, for error messages.
    ///   - heads: overrides `num_attention_heads`.
    /// - Throws: `InferenceError` naming the missing key or tensor and the shapes.
    public init(store: WeightStore, source: String, heads: Int? = nil) throws {
        let config = try BERTConfiguration(json: store.configJSON, source: source, heads: heads)
        self.config = config
        self.source = source
        let reader = WeightReader(store: store, source: source)
        let h = config.hidden, eps = config.layerNormEps
        wordEmbeddings = try reader.floats("embeddings.word_embeddings.weight", [config.vocab, h])
        positionEmbeddings = try reader.floats("embeddings.position_embeddings.weight", [config.maxPositions, h])
        typeEmbeddings = try reader.floats("embeddings.token_type_embeddings.weight", [config.typeVocab, h])
        embeddingNorm = try reader.layerNorm("embeddings.LayerNorm", width: h, eps: eps)
        layers = try (0..<config.layers).map { i in
            let prefix = "encoder.layer.\(i)"
            let names = EncoderLayer.Names(
                layer: prefix, query: "\(prefix).attention.self.query", key: "\(prefix).attention.self.key",
                value: "\(prefix).attention.self.value", attentionOutput: "\(prefix).attention.output.dense",
                attention: "\(prefix).attention", intermediate: "\(prefix).intermediate.dense", output: "\(prefix).output.dense")
            return try reader.encoderLayer(names: names, placement: .post, norm1: "\(prefix).attention.output.LayerNorm",
                                           norm2: "\(prefix).output.LayerNorm", hidden: h,
                                           intermediate: config.intermediate, heads: config.heads, eps: eps,
                                           activation: config.activation)
        }
        pooler = store.contains("pooler.dense.weight") ? try reader.linear("pooler.dense", out: h, in: h) : nil
        if let count = reader.rows("classifier.weight") {
            classifier = try reader.linear("classifier", out: count, in: h)
        } else {
            classifier = nil
        }
        if store.contains("cls.predictions.transform.dense.weight") {
            // The decoder is tied to the word embeddings unless the store carries its own.
            let decoderWeight = store.contains("cls.predictions.decoder.weight")
                ? try reader.floats("cls.predictions.decoder.weight", [config.vocab, h]) : wordEmbeddings
            let bias = store.contains("cls.predictions.bias")
                ? try reader.floats("cls.predictions.bias", [config.vocab])
                : try reader.floats("cls.predictions.decoder.bias", [config.vocab], hint: "the MLM head needs cls.predictions.bias")
            mlm = MaskedLMHead(transform: try reader.linear("cls.predictions.transform.dense", out: h, in: h),
                               norm: try reader.layerNorm("cls.predictions.transform.LayerNorm", width: h, eps: eps),
                               decoder: Linear(weight: decoderWeight, bias: bias, inFeatures: h, outFeatures: config.vocab))
        } else {
            mlm = nil
        }
    }

    // MARK: - Outputs

    /// The last hidden state: `[count, length, hidden]`.
    public func lastHiddenState(_ batch: TokenBatch) throws -> [Float] {
        try encode(batch, observe: nil).values
    }

    /// The pooler output `tanh(W · h_[CLS] + b)`: `[count, hidden]`.
    /// - Throws: `.unsupported` when the store has no pooler.
    public func poolerOutput(_ batch: TokenBatch) throws -> [Float] {
        try pool(try encode(batch, observe: nil), observe: nil)
    }

    /// Sentence embeddings as sentence-transformers' mean pooling computes them:
    /// `Σ_t mask_t · h_t / max(Σ_t mask_t, 1e-9)`: `[count, hidden]` (not L2-normalised).
    public func sentenceEmbeddings(_ batch: TokenBatch) throws -> [Float] {
        let state = try encode(batch, observe: nil)
        let h = config.hidden
        var out = [Float](repeating: 0, count: batch.count * h)
        for n in 0..<batch.count {
            var weight: Float = 0
            for t in 0..<batch.length {
                let m = Float(batch.mask(n, t))
                guard m != 0 else { continue }
                weight += m
                let row = (n * batch.length + t) * h
                for i in 0..<h { out[n * h + i] += m * state.values[row + i] }
            }
            let inv = 1 / max(weight, 1e-9)
            for i in 0..<h { out[n * h + i] *= inv }
        }
        return out
    }

    /// Sequence-classification logits (pooler → classifier): `[count, labels]`.
    public func classificationLogits(_ batch: TokenBatch) throws -> [Float] {
        try classify(try encode(batch, observe: nil), observe: nil)
    }

    /// Masked-LM logits `[rows.count, vocab]` for the token rows `rows` (indices `n·length + t`
    /// into the batch), or every token when `rows` is nil.
    public func maskedLMLogits(_ batch: TokenBatch, rows: [Int]? = nil) throws -> [Float] {
        try predictTokens(try encode(batch, observe: nil), rows: rows, observe: nil)
    }

    // MARK: - Stages

    /// Word + position + token-type embeddings and LayerNorm: `[count·length, hidden]`.
    func embed(_ batch: TokenBatch, observe: ModuleObserver?) throws -> HiddenStates {
        guard batch.length <= config.maxPositions else {
            throw InferenceError.input(message: "\(source): sequences of \(batch.length) tokens exceed max_position_embeddings \(config.maxPositions)")
        }
        let h = config.hidden
        var values = [Float](repeating: 0, count: batch.count * batch.length * h)
        for n in 0..<batch.count {
            for t in 0..<batch.length {
                let index = n * batch.length + t
                let id = batch.inputIDs[index], type = batch.tokenTypeIDs?[index] ?? 0
                guard id >= 0, id < config.vocab else {
                    throw InferenceError.input(message: "\(source): token id \(id) (sequence \(n), position \(t)) is outside the vocabulary of \(config.vocab)")
                }
                guard type >= 0, type < config.typeVocab else {
                    throw InferenceError.input(message: "\(source): token type \(type) (sequence \(n), position \(t)) is outside type_vocab_size \(config.typeVocab)")
                }
                let dst = index * h
                for i in 0..<h {
                    values[dst + i] = wordEmbeddings[id * h + i] + typeEmbeddings[type * h + i] + positionEmbeddings[t * h + i]
                }
            }
        }
        embeddingNorm.apply(&values)
        try observe?(ModuleOutput(name: "embeddings", samples: batch.count, tokens: batch.length, width: h, values: values))
        var keyMask: [Float]? = nil
        if let mask = batch.attentionMask, mask.contains(where: { $0 == 0 }) {
            keyMask = mask.map { $0 == 0 ? -Float.greatestFiniteMagnitude : 0 }
        }
        return HiddenStates(values: values, samples: batch.count, tokens: batch.length, width: h, keyMask: keyMask)
    }

    /// Embeddings and every encoder layer.
    func encode(_ batch: TokenBatch, observe: ModuleObserver?) throws -> HiddenStates {
        var state = try embed(batch, observe: observe)
        for layer in layers { state = try layer(state, observe: observe) }
        return state
    }

    /// The pooler on the first token: `[samples, hidden]`.
    func pool(_ state: HiddenStates, observe: ModuleObserver?) throws -> [Float] {
        guard let pooler else {
            throw InferenceError.unsupported(source: source, message: "the model has no pooler (pooler.dense.weight)")
        }
        let h = config.hidden
        var first = [Float](repeating: 0, count: state.samples * h)
        for n in 0..<state.samples {
            for i in 0..<h { first[n * h + i] = state.values[n * state.tokens * h + i] }
        }
        var pooled = pooler(first, rows: state.samples)
        try observe?(ModuleOutput(name: "pooler.dense", samples: state.samples, tokens: 1, width: h, values: pooled))
        for i in pooled.indices { pooled[i] = tanhf(pooled[i]) }
        return pooled
    }

    /// Pooler then classifier: `[samples, labels]`.
    func classify(_ state: HiddenStates, observe: ModuleObserver?) throws -> [Float] {
        guard let classifier else {
            throw InferenceError.unsupported(source: source, message: "the model has no sequence classifier (classifier.weight)")
        }
        let pooled = try pool(state, observe: observe)
        let logits = classifier(pooled, rows: state.samples)
        try observe?(ModuleOutput(name: "classifier", samples: state.samples, tokens: 1, width: classifier.outFeatures, values: logits))
        return logits
    }

    /// The MLM head on the selected token rows (all when nil): `[rows, vocab]`.
    func predictTokens(_ state: HiddenStates, rows: [Int]?, observe: ModuleObserver?) throws -> [Float] {
        guard let mlm else {
            throw InferenceError.unsupported(source: source, message: "the model has no masked-LM head (cls.predictions.transform.dense.weight)")
        }
        let h = config.hidden
        let selected: [Float]
        let count: Int
        if let rows {
            let total = state.samples * state.tokens
            var picked = [Float](repeating: 0, count: rows.count * h)
            for (k, row) in rows.enumerated() {
                guard row >= 0, row < total else {
                    throw InferenceError.input(message: "\(source): token row \(row) is outside the batch of \(total) tokens")
                }
                for i in 0..<h { picked[k * h + i] = state.values[row * h + i] }
            }
            selected = picked
            count = rows.count
        } else {
            selected = state.values
            count = state.samples * state.tokens
        }
        var transformed = mlm.transform(selected, rows: count)
        try observe?(ModuleOutput(name: "cls.predictions.transform.dense", samples: state.samples,
                                  tokens: count / max(1, state.samples), width: h, values: transformed))
        config.activation.apply(&transformed)
        mlm.norm.apply(&transformed)
        return mlm.decoder(transformed, rows: count)
    }
}
