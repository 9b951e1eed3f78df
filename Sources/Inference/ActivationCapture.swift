/// Records module outputs for activation-based fusion (ALGORITHM.md section 6).
///
/// Captured modules, by canonical name: `embeddings.patch_embeddings` (ViT patch projection,
/// patches only), `embeddings` (the embedding output), per layer `….query`, `….key`, `….value`,
/// `….attention.output.dense`, `….attention` (the attention block's output: the projection for
/// ViT, after the residual LayerNorm for BERT), `….intermediate.dense` (before the activation),
/// `….output.dense` and `encoder.layer.N` (the layer output); then the heads present:
/// `classifier`, `pooler.dense` (before tanh), `cls.predictions.transform.dense`. The tied MLM
/// decoder (vocabulary-wide) is not captured.
///
/// The model runs stage by stage (embeddings, layer 0, layer 1, …) over all samples, and each
/// stage's modules are normalised and handed to the sink before the next stage runs, so memory
/// grows with samples × the widths of one layer, not of the whole network.
public enum ActivationCapture {
    /// Appended to a linear layer's name for the matrix of its inputs
    /// (``ActivationOptions/linearInputs``).
    public static let inputSuffix = ":input"

    /// Captures the activations of `model` on the first `options.numSamples` samples of
    /// `dataset` and hands each module's normalised matrix to `sink`, in model order.
    /// - Parameter progress: called with a stage label before each stage.
    /// - Throws: `InferenceError` for a dataset the model cannot run, a filter the model does
    ///   not support, or too few rows to standardise.
    public static func capture(model: TransformerModel, dataset: EvalDataset, source: String,
                               options: ActivationOptions, progress: ((String) -> Void)? = nil,
                               sink: (ActivationMatrix) throws -> Void) throws {
        try model.check(dataset, source: source, needsHead: false)
        guard options.numSamples > 0 else { throw InferenceError.input(message: "--num-samples must be positive") }
        let data = dataset.slice(0..<min(dataset.count, options.numSamples))
        let recorder = try Recorder(model: model, dataset: data, filter: options.sequenceFilter, source: source,
                                    keepInputs: options.linearInputs)
        let step = max(1, options.batchSize)
        func flush() throws {
            for var matrix in recorder.drain() {
                try matrix.normalize(options.normalization)
                try sink(matrix)
            }
        }
        /// Runs `stage` over the samples in batches, with the recorder observing.
        func staged(_ state: HiddenStates?, _ stage: (HiddenStates?, Range<Int>, @escaping ModuleObserver) throws -> HiddenStates?) throws -> HiddenStates? {
            let out = try runStage(state, count: data.count, batchSize: step, recorder: recorder, stage)
            try flush()
            return out
        }

        switch model {
        case let .vit(vit):
            progress?("embeddings")
            var state = try staged(nil) { _, range, observe in
                try vit.embed(images: data.slice(range).images, count: range.count, observe: observe)
            }
            for (i, layer) in vit.layers.enumerated() {
                progress?("encoder.layer.\(i)")
                state = try staged(state) { chunk, _, observe in try layer(chunk!, observe: observe) }
            }
            if vit.labels != nil {
                progress?("classifier")
                _ = try staged(state) { chunk, _, observe in _ = try vit.head(chunk!, observe: observe); return nil }
            }
        case let .bert(bert):
            let tokens = data.tokens!
            progress?("embeddings")
            var state = try staged(nil) { _, range, observe in try bert.embed(tokens.slice(range), observe: observe) }
            for (i, layer) in bert.layers.enumerated() {
                progress?("encoder.layer.\(i)")
                state = try staged(state) { chunk, _, observe in try layer(chunk!, observe: observe) }
            }
            if bert.hasPooler {
                progress?("pooler")
                _ = try staged(state) { chunk, _, observe in
                    if bert.labels != nil { _ = try bert.classify(chunk!, observe: observe) } else { _ = try bert.pool(chunk!, observe: observe) }
                    return nil
                }
            }
            if bert.hasMaskedLMHead {
                progress?("cls.predictions")
                _ = try staged(state) { chunk, _, observe in
                    _ = try bert.predictTokens(chunk!, rows: nil, observe: observe)
                    return nil
                }
            }
        }
    }

    /// Runs `stage` over `count` samples in batches of `batchSize` (each batch gets its slice of
    /// `state` and its sample range), with `recorder` observing; returns the batches' outputs
    /// concatenated, or `nil` when the stage returns none.
    static func runStage(_ state: HiddenStates?, count: Int, batchSize: Int, recorder: Recorder,
                         _ stage: (HiddenStates?, Range<Int>, @escaping ModuleObserver) throws -> HiddenStates?) throws -> HiddenStates? {
        var outputs: [HiddenStates] = []
        var start = 0
        while start < count {
            let range = start..<min(count, start + max(1, batchSize))
            let chunk = state.map { slice($0, range) }
            if let out = try stage(chunk, range, { try recorder.record($0, offset: range.lowerBound) }) { outputs.append(out) }
            start = range.upperBound
        }
        return outputs.isEmpty ? nil : concatenate(outputs)
    }

    private static func slice(_ state: HiddenStates, _ range: Range<Int>) -> HiddenStates {
        let per = state.tokens * state.width
        return HiddenStates(values: Array(state.values[(range.lowerBound * per)..<(range.upperBound * per)]),
                            samples: range.count, tokens: state.tokens, width: state.width,
                            keyMask: state.keyMask.map { Array($0[(range.lowerBound * state.tokens)..<(range.upperBound * state.tokens)]) })
    }

    private static func concatenate(_ parts: [HiddenStates]) -> HiddenStates {
        let first = parts[0]
        let mask: [Float]? = parts.contains { $0.keyMask != nil }
            ? parts.flatMap { $0.keyMask ?? [Float](repeating: 0, count: $0.samples * $0.tokens) } : nil
        return HiddenStates(values: parts.flatMap(\.values), samples: parts.reduce(0) { $0 + $1.samples },
                            tokens: first.tokens, width: first.width, keyMask: mask)
    }
}

/// Collects the kept rows of each module in order of first appearance (a class: the stages'
/// observers, escaping closures, record into it).
final class Recorder {
    private var order: [String] = []
    private var rows: [String: (width: Int, rows: Int, values: [Float])] = [:]
    /// ViT: tokens of the full sequence (class token + patches); nil for BERT.
    private let vitTokens: Int?
    private let vitGrid: Int
    /// BERT: the attention mask `[samples, length]`, nil when absent or for ViT.
    private let mask: [Int]?
    private let length: Int
    private let filter: SequenceFilter
    /// Whether matrices of linear-layer inputs (``ActivationCapture/inputSuffix``) are kept.
    private let keepInputs: Bool
    /// The only names kept (inputs under their recorded name, with the suffix); nil keeps every one.
    private let names: Set<String>?

    init(model: TransformerModel, dataset: EvalDataset, filter: SequenceFilter, source: String, keepInputs: Bool,
         names: Set<String>? = nil) throws {
        self.filter = filter
        self.keepInputs = keepInputs
        self.names = names
        switch model {
        case let .vit(vit):
            vitTokens = vit.config.tokens
            vitGrid = vit.config.grid
            mask = nil
            length = vit.config.tokens
            if case let .window(n) = filter, n > vit.config.grid {
                throw InferenceError.input(message: "\(source): window_\(n) is larger than the model's \(vit.config.grid)×\(vit.config.grid) patch grid (image_size \(vit.config.imageSize) / patch_size \(vit.config.patchSize))")
            }
        case .bert:
            vitTokens = nil
            vitGrid = 0
            mask = dataset.tokens?.attentionMask
            length = dataset.tokens?.length ?? 0
            if case .window = filter {
                throw InferenceError.input(message: "\(source): \(filter) applies to ViT patch grids; use all or only_cls for BERT")
            }
        }
    }

    /// Token positions kept for a module whose output has `tokens` per sample, for sample `n`.
    private func kept(tokens: Int, sample n: Int) -> [Int] {
        guard tokens > 1 else { return [0] }
        if let vitTokens {
            // The reference filters only outputs that span the whole sequence (not the patch projection).
            guard tokens == vitTokens else { return Array(0..<tokens) }
            switch filter {
            case .all: return Array(0..<tokens)
            case .onlyClassToken: return [0]
            case let .window(size):
                let start = (vitGrid - size) / 2
                var keep = [0]
                for r in start..<(start + size) { for c in start..<(start + size) { keep.append(1 + r * vitGrid + c) } }
                return keep
            }
        }
        if case .onlyClassToken = filter { return [0] }
        guard let mask, tokens == length else { return Array(0..<tokens) }
        return (0..<tokens).filter { mask[n * length + $0] != 0 }
    }

    func record(_ output: ModuleOutput, offset: Int) throws {
        if !keepInputs, output.name.hasSuffix(ActivationCapture.inputSuffix) { return }
        if let names, !names.contains(output.name) { return }
        if rows[output.name] == nil {
            order.append(output.name)
            rows[output.name] = (output.width, 0, [])
        }
        var entry = rows[output.name]!
        rows[output.name] = nil  // keep the array uniquely referenced while appending
        for n in 0..<output.samples {
            for t in kept(tokens: output.tokens, sample: offset + n) {
                let base = (n * output.tokens + t) * output.width
                entry.values.append(contentsOf: output.values[base..<(base + output.width)])
                entry.rows += 1
            }
        }
        rows[output.name] = entry
    }

    /// The matrices recorded since the last drain, in order of first appearance.
    func drain() -> [ActivationMatrix] {
        defer { order.removeAll(); rows.removeAll() }
        return order.map { name in
            let entry = rows[name]!
            return ActivationMatrix(name: name, rows: entry.rows, width: entry.width, values: entry.values)
        }
    }
}
