/// A forward pass run one stage at a time over calibration samples, keeping the hidden states
/// between stages, so that a caller can change the weights of the layers still to come and run
/// them again (the least-squares refit in the Fusion module). Activations are raw (not
/// normalised), every token kept (BERT: every token with attention mask 1), as
/// ``ActivationCapture`` records them with ``SequenceFilter/all`` and ``ActivationNormalization/none``.
///
/// Memory: the hidden states of the samples, `samples × tokens × hidden` floats, plus what one
/// stage records.
public struct StagedForward {
    /// The first `numSamples` samples of the dataset.
    let data: EvalDataset
    let source: String
    let batchSize: Int
    /// The stream entering the next encoder layer, `[samples·tokens, hidden]`.
    var state: HiddenStates
    /// Encoder layers run so far (the next layer's index).
    public private(set) var layersDone = 0
    /// The stream entering the next encoder layer as recorded (every kept token): the
    /// `embeddings` output at first, then `encoder.layer.N`'s.
    public private(set) var stream: ActivationMatrix

    /// Runs the embeddings of `model` on the first `numSamples` samples of `dataset`.
    /// - Throws: `InferenceError` when the model cannot run the dataset or `numSamples < 1`.
    public init(model: TransformerModel, dataset: EvalDataset, numSamples: Int, source: String, batchSize: Int = 32) throws {
        try model.check(dataset, source: source, needsHead: false)
        guard numSamples > 0 else { throw InferenceError.input(message: "the number of calibration samples must be positive, got \(numSamples)") }
        let data = dataset.slice(0..<min(dataset.count, numSamples))
        let recorder = try Recorder(model: model, dataset: data, filter: .all, source: source, keepInputs: false)
        let embedded: HiddenStates?
        switch model {
        case let .vit(vit):
            embedded = try ActivationCapture.runStage(nil, count: data.count, batchSize: batchSize, recorder: recorder) { _, range, observe in
                try vit.embed(images: data.slice(range).images, count: range.count, observe: observe)
            }
        case let .bert(bert):
            let tokens = data.tokens!
            embedded = try ActivationCapture.runStage(nil, count: data.count, batchSize: batchSize, recorder: recorder) { _, range, observe in
                try bert.embed(tokens.slice(range), observe: observe)
            }
        }
        self.data = data
        self.source = source
        self.batchSize = batchSize
        self.state = embedded!
        guard let recorded = recorder.drain().first(where: { $0.name == "embeddings" }) else {
            throw InferenceError.input(message: "\(source): the embeddings recorded no output")
        }
        self.stream = recorded
    }

    /// Runs encoder layer ``layersDone`` of `model` (the architecture the pass started with; its
    /// weights may differ) on the current stream and returns what it recorded: every module
    /// output, and with `linearInputs` the linear layers' inputs
    /// (``ActivationOptions/linearInputs``); only those named in `only` when it is given (a
    /// layer of ViT-B records about 14,000 floats per token: `only` keeps what a caller uses).
    /// With `advance`, its output becomes the stream the next call starts from (recorded
    /// whatever `only` says).
    /// - Throws: `InferenceError` when `model` has no such layer or its widths differ.
    public mutating func layer(of model: TransformerModel, linearInputs: Bool, advance: Bool,
                               only: Set<String>? = nil) throws -> [ActivationMatrix] {
        let layers: [EncoderLayer]
        switch model {
        case let .vit(vit): layers = vit.layers
        case let .bert(bert): layers = bert.layers
        }
        guard layersDone < layers.count else {
            throw InferenceError.input(message: "\(source): the model has \(layers.count) encoder layers, asked for layer \(layersDone)")
        }
        let layer = layers[layersDone]
        guard layer.query.inFeatures == state.width else {
            throw InferenceError.input(message: "\(source): encoder layer \(layersDone) reads \(layer.query.inFeatures) channels, the stream has \(state.width)")
        }
        let names = only.map { advance ? $0.union([layer.names.layer]) : $0 }
        let recorder = try Recorder(model: model, dataset: data, filter: .all, source: source, keepInputs: linearInputs, names: names)
        let out = try ActivationCapture.runStage(state, count: data.count, batchSize: batchSize, recorder: recorder) { chunk, _, observe in
            try layer(chunk!, observe: observe)
        }
        let recorded = recorder.drain()
        if advance {
            guard let output = recorded.first(where: { $0.name == layer.names.layer }) else {
                throw InferenceError.input(message: "\(source): encoder layer \(layersDone) recorded no output")
            }
            state = out!
            stream = output
            layersDone += 1
        }
        return recorded
    }

    /// The ViT head of `model` on the current stream (after the last encoder layer): the
    /// `classifier` logits and, with `linearInputs`, `classifier:input` (the class token after
    /// the final LayerNorm); only those named in `only` when it is given.
    /// - Throws: `InferenceError` for a BERT model or a ViT without a classifier.
    public func classifier(of model: TransformerModel, linearInputs: Bool, only: Set<String>? = nil) throws -> [ActivationMatrix] {
        guard case let .vit(vit) = model else {
            throw InferenceError.unsupported(source: source, message: "only a ViT's classifier can be run on its own")
        }
        let recorder = try Recorder(model: model, dataset: data, filter: .all, source: source, keepInputs: linearInputs, names: only)
        _ = try ActivationCapture.runStage(state, count: data.count, batchSize: batchSize, recorder: recorder) { chunk, _, observe in
            _ = try vit.head(chunk!, observe: observe)
            return nil
        }
        return recorder.drain()
    }
}
