import WeightStore

/// A ViT image classifier (`ViTForImageClassification`) from the canonical layout of
/// Schemas/vit.json: patch projection, class token, position embeddings, pre-LayerNorm
/// encoder, final LayerNorm and a classifier on the class token.
public struct ViTModel: Sendable {
    public let config: ViTConfiguration
    /// The model's path or label, for error messages.
    public let source: String
    /// The classifier's label count, or nil for a headless `ViTModel`.
    public let labels: Int?
    let patchProjection: Linear
    let classToken: [Float]
    let positions: [Float]
    let layers: [EncoderLayer]
    let finalNorm: LayerNorm
    let classifier: Linear?

    /// Loads a canonical ViT store.
    /// - Parameters:
    ///   - store: canonical names (`embeddings.patch_embeddings.projection.weight`, …) and the
    ///     Hugging Face config.json in `configJSON`; any float dtype.
    ///   - source: the model's path, for error messages.
    ///   - heads: overrides `num_attention_heads`.
    /// - Throws: `InferenceError` naming the missing key or tensor and the shapes.
    public init(store: WeightStore, source: String, heads: Int? = nil) throws {
        let config = try ViTConfiguration(json: store.configJSON, source: source, heads: heads)
        self.config = config
        self.source = source
        let reader = WeightReader(store: store, source: source)
        let h = config.hidden, p = config.patchSize, c = config.channels
        patchProjection = Linear(
            weight: try reader.floats("embeddings.patch_embeddings.projection.weight", [h, c, p, p]),
            bias: try reader.floats("embeddings.patch_embeddings.projection.bias", [h]),
            inFeatures: c * p * p, outFeatures: h)
        classToken = try reader.floats("embeddings.cls_token", [1, 1, h])
        positions = try reader.floats("embeddings.position_embeddings", [1, config.tokens, h])
        layers = try (0..<config.layers).map { i in
            let prefix = "encoder.layer.\(i)"
            let names = EncoderLayer.Names(
                layer: prefix, query: "\(prefix).attention.attention.query", key: "\(prefix).attention.attention.key",
                value: "\(prefix).attention.attention.value", attentionOutput: "\(prefix).attention.output.dense",
                attention: "\(prefix).attention", intermediate: "\(prefix).intermediate.dense", output: "\(prefix).output.dense")
            return try reader.encoderLayer(names: names, placement: .pre, norm1: "\(prefix).layernorm_before",
                                           norm2: "\(prefix).layernorm_after", hidden: h,
                                           intermediate: config.intermediate, heads: config.heads,
                                           eps: config.layerNormEps, activation: config.activation)
        }
        finalNorm = try reader.layerNorm("layernorm", width: h, eps: config.layerNormEps)
        if let count = reader.rows("classifier.weight") {
            classifier = try reader.linear("classifier", out: count, in: h)
            labels = count
        } else {
            classifier = nil
            labels = nil
        }
    }

    /// Values per image: `channels × imageSize × imageSize`.
    public var imageElements: Int { config.channels * config.imageSize * config.imageSize }

    /// Classification logits for `count` images.
    /// - Parameter images: `[count, channels, imageSize, imageSize]` row-major, already normalised.
    /// - Returns: `[count, labels]` row-major.
    /// - Throws: `InferenceError.input` for a wrong value count, `.unsupported` without a classifier.
    public func logits(images: [Float], count: Int) throws -> [Float] {
        var state = try embed(images: images, count: count, observe: nil)
        for layer in layers { state = try layer(state, observe: nil) }
        return try head(state, observe: nil)
    }

    // MARK: - Stages (activation capture runs them one at a time over all samples)

    /// Patch projection (as a matrix product over unfolded patches), class token and
    /// position embeddings: `[count·tokens, hidden]`.
    func embed(images: [Float], count: Int, observe: ModuleObserver?) throws -> HiddenStates {
        guard images.count == count * imageElements else {
            throw InferenceError.input(message: "\(source): \(images.count) image values for \(count) images of [\(config.channels), \(config.imageSize), \(config.imageSize)]")
        }
        let g = config.grid, p = config.patchSize, c = config.channels, side = config.imageSize, h = config.hidden
        let patches = g * g, patchWidth = c * p * p
        // Unfold: row (image, patch r·g+col), column (channel, i, j) — the conv weight's order.
        var unfolded = [Float](repeating: 0, count: count * patches * patchWidth)
        for n in 0..<count {
            for r in 0..<g {
                for col in 0..<g {
                    let row = (n * patches + r * g + col) * patchWidth
                    for ch in 0..<c {
                        for i in 0..<p {
                            let src = ((n * c + ch) * side + r * p + i) * side + col * p
                            let dst = row + (ch * p + i) * p
                            for j in 0..<p { unfolded[dst + j] = images[src + j] }
                        }
                    }
                }
            }
        }
        let projected = patchProjection(unfolded, rows: count * patches)
        try observe?(ModuleOutput(name: "embeddings.patch_embeddings", samples: count, tokens: patches, width: h, values: projected))
        let tokens = config.tokens
        var values = [Float](repeating: 0, count: count * tokens * h)
        for n in 0..<count {
            for i in 0..<h { values[n * tokens * h + i] = classToken[i] + positions[i] }
            for t in 1..<tokens {
                let dst = (n * tokens + t) * h, src = (n * patches + t - 1) * h
                for i in 0..<h { values[dst + i] = projected[src + i] + positions[t * h + i] }
            }
        }
        try observe?(ModuleOutput(name: "embeddings", samples: count, tokens: tokens, width: h, values: values))
        return HiddenStates(values: values, samples: count, tokens: tokens, width: h, keyMask: nil)
    }

    /// Final LayerNorm and the classifier on the class token: `[samples, labels]`.
    func head(_ state: HiddenStates, observe: ModuleObserver?) throws -> [Float] {
        guard let classifier else {
            throw InferenceError.unsupported(source: source, message: "the model has no classifier (classifier.weight); it cannot classify images")
        }
        let h = config.hidden
        var cls = [Float](repeating: 0, count: state.samples * h)
        for n in 0..<state.samples {
            for i in 0..<h { cls[n * h + i] = state.values[n * state.tokens * h + i] }
        }
        finalNorm.apply(&cls)
        try observe?(ModuleOutput(name: "classifier" + ActivationCapture.inputSuffix, samples: state.samples, tokens: 1,
                                  width: h, values: cls))
        let logits = classifier(cls, rows: state.samples)
        try observe?(ModuleOutput(name: "classifier", samples: state.samples, tokens: 1, width: classifier.outFeatures, values: logits))
        return logits
    }
}
