/// Where a layer applies its LayerNorms: ViT normalises before each sublayer, BERT after
/// each residual join.
enum NormPlacement: Sendable { case pre, post }

/// The activations of a batch flowing through the encoder: `[samples·tokens, width]`
/// row-major, with an optional additive key mask `[samples·tokens]`.
struct HiddenStates: Sendable {
    var values: [Float]
    let samples: Int
    let tokens: Int
    let width: Int
    /// 0 for tokens to attend to, `-Float.greatestFiniteMagnitude` (torch's `finfo.min`) for padding.
    var keyMask: [Float]?
}

/// One recorded module output handed to an observer: `values` is `[samples, tokens, width]`
/// (`tokens == 1` for per-sample modules such as the pooler and the classifier).
struct ModuleOutput {
    let name: String
    let samples: Int
    let tokens: Int
    let width: Int
    let values: [Float]
}

/// Receives module outputs during a forward pass (activation capture).
typealias ModuleObserver = (ModuleOutput) throws -> Void

/// One transformer encoder layer with the canonical module names of `names`.
struct EncoderLayer: Sendable {
    /// Canonical module names of this layer's parts (ViT and BERT differ).
    struct Names: Sendable {
        var layer: String, query: String, key: String, value: String, attentionOutput: String,
            attention: String, intermediate: String, output: String
    }
    let names: Names
    let placement: NormPlacement
    let heads: Int
    let query, key, value, attentionOutput, intermediate, output: Linear
    /// Pre: `layernorm_before`; post: `attention.output.LayerNorm`.
    let norm1: LayerNorm
    /// Pre: `layernorm_after`; post: `output.LayerNorm`.
    let norm2: LayerNorm
    let activation: HiddenActivation

    /// Runs the layer, handing each module's output to `observe` (if any).
    func callAsFunction(_ input: HiddenStates, observe: ModuleObserver?) throws -> HiddenStates {
        let rows = input.samples * input.tokens
        func emit(_ name: String, _ values: [Float]) throws {
            try observe?(ModuleOutput(name: name, samples: input.samples, tokens: input.tokens,
                                      width: values.count / max(1, rows), values: values))
        }
        /// The input of linear layer `name` (query's stands for key's and value's: they share it).
        func emitInput(_ name: String, _ values: [Float]) throws {
            try emit(name + ActivationCapture.inputSuffix, values)
        }
        let x = placement == .pre ? norm1(input.values) : input.values
        try emitInput(names.query, x)
        let q = query(x, rows: rows)
        try emit(names.query, q)
        let k = key(x, rows: rows)
        try emit(names.key, k)
        let v = value(x, rows: rows)
        try emit(names.value, v)
        let context = Attention.context(q: q, k: k, v: v, keyMask: input.keyMask,
                                        samples: input.samples, tokens: input.tokens, heads: heads)
        try emitInput(names.attentionOutput, context)
        var attended = attentionOutput(context, rows: rows)
        try emit(names.attentionOutput, attended)
        var hidden: [Float]
        switch placement {
        case .pre:
            try emit(names.attention, attended)
            add(&attended, input.values)
            hidden = attended
        case .post:
            add(&attended, input.values)
            norm1.apply(&attended)
            try emit(names.attention, attended)
            hidden = attended
        }
        let mlpInput = placement == .pre ? norm2(hidden) : hidden
        try emitInput(names.intermediate, mlpInput)
        var mlp = intermediate(mlpInput, rows: rows)
        try emit(names.intermediate, mlp)
        activation.apply(&mlp)
        try emitInput(names.output, mlp)
        var out = output(mlp, rows: rows)
        try emit(names.output, out)
        add(&out, hidden)
        if placement == .post { norm2.apply(&out) }
        try emit(names.layer, out)
        return HiddenStates(values: out, samples: input.samples, tokens: input.tokens, width: input.width,
                            keyMask: input.keyMask)
    }

    private func add(_ x: inout [Float], _ y: [Float]) {
        for i in x.indices { x[i] += y[i] }
    }
}

extension WeightReader {
    /// Loads encoder layer `index`; `names` gives the canonical module names.
    func encoderLayer(names: EncoderLayer.Names, placement: NormPlacement, norm1: String, norm2: String,
                      hidden: Int, intermediate: Int, heads: Int, eps: Float,
                      activation: HiddenActivation) throws -> EncoderLayer {
        EncoderLayer(names: names, placement: placement, heads: heads,
                     query: try linear(names.query, out: hidden, in: hidden),
                     key: try linear(names.key, out: hidden, in: hidden),
                     value: try linear(names.value, out: hidden, in: hidden),
                     attentionOutput: try linear(names.attentionOutput, out: hidden, in: hidden),
                     intermediate: try linear(names.intermediate, out: intermediate, in: hidden),
                     output: try linear(names.output, out: hidden, in: intermediate),
                     norm1: try layerNorm(norm1, width: hidden, eps: eps),
                     norm2: try layerNorm(norm2, width: hidden, eps: eps),
                     activation: activation)
    }
}
