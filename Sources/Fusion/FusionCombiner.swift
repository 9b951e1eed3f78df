import WeightStore

/// The weighted average of the aligned models and the anchor, tensor by tensor, handed on as
/// soon as every aligned model has the tensor (section 7 of ALGORITHM.md): the last step of
/// ``Fuser/stream(_:options:keepMaps:progress:emit:)``.
///
/// Every tensor of the anchor's store is emitted exactly once, with the anchor's name, dtype
/// and shape: averaged when it is floating point and every model aligned it, the anchor's own
/// otherwise (buffers, switched-off parts of the flow graph). A tied copy follows its
/// original (``Fuser/tiedCopies(_:)``).
struct FusionCombiner {
    let anchor: ModelView
    /// The non-anchor models, ascending (the order the average adds them in).
    let models: [Int]
    let weights: [Double]
    let options: FusionOptions
    let emit: (Tensor) throws -> Void
    /// Waited at before each tensor is averaged (``PhaseGate``).
    var gate: PhaseGate?

    /// Aligned versions waiting for the other models, by tensor name and model.
    private var pending: [String: [Int: [Float]]] = [:]
    private var emitted: Set<String> = []
    /// Original → copy of the tied pairs; and the copies.
    private let copyOf: [String: String]
    private let copies: Set<String>
    private let position: [String: Int]

    init(anchor: ModelView, models: [Int], weights: [Double], options: FusionOptions, emit: @escaping (Tensor) throws -> Void) {
        self.anchor = anchor
        self.models = models.sorted()
        self.weights = weights
        self.options = options
        self.emit = emit
        let tied = Fuser.tiedCopies(anchor.model)
        copyOf = Dictionary(tied.map { ($0.original, $0.copy) }, uniquingKeysWith: { first, _ in first })
        copies = Set(tied.map(\.copy))
        position = Dictionary(anchor.store.names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Model `k`'s aligned tensors of one stage.
    mutating func add(model k: Int, _ tensors: [String: [Float]]) {
        for (name, values) in tensors { pending[name, default: [:]][k] = values }
    }

    /// Averages and emits (in the anchor's order) every pending tensor that all models have.
    mutating func flush() throws {
        let complete = pending.filter { $0.value.count == models.count }.keys
            .compactMap { name in position[name].map { (name, $0) } }
            .sorted { $0.1 < $1.1 }
        for (name, index) in complete {
            guard let versions = pending.removeValue(forKey: name) else { continue }
            let tensor = anchor.store.tensors[index]
            guard tensor.dtype.isFloatingPoint, !emitted.contains(name), !copies.contains(name) else { continue }
            gate?.waitUntilOpen()
            try send(try average(tensor, versions))
        }
    }

    /// Emits the anchor's own tensor for every tensor not emitted yet, in the anchor's order.
    mutating func finish() throws {
        pending = [:]
        for tensor in anchor.store.tensors where !emitted.contains(tensor.name) && !copies.contains(tensor.name) {
            try send(tensor)
        }
    }

    /// `c_anchor · anchor + Σ_k c_k · aligned_k` in `Double`, rounded once to the anchor's dtype.
    private func average(_ tensor: Tensor, _ versions: [Int: [Float]]) throws -> Tensor {
        let spec = tensor.name
        let c = Fuser.coefficients(spec, count: weights.count, anchor: options.anchor, weights: weights, options: options)
        let a = try anchor.vector(spec)
        var out = a.map { $0 * c[options.anchor] }
        for k in models {
            guard let values = versions[k] else { continue }
            guard values.count == out.count else {
                throw FusionError.tensorShape(model: "model \(k) after alignment", tensor: spec,
                                              expected: "\(out.count) values (\(Shape.describe(tensor.shape)))", found: "\(values.count)")
            }
            let ck = c[k]
            for j in out.indices { out[j] += ck * Double(values[j]) }
        }
        tensor.source.release()
        return try Tensor.fromFloats(name: spec, shape: tensor.shape, values: out.narrowedToFloat(), dtype: tensor.dtype)
    }

    /// Emits `tensor` and, when it is the original of a tied pair, its copy.
    private mutating func send(_ tensor: Tensor) throws {
        emitted.insert(tensor.name)
        try emit(tensor)
        if let copy = copyOf[tensor.name], !emitted.contains(copy) {
            emitted.insert(copy)
            try emit(tensor.renamed(copy))
        }
    }

    // MARK: - Vanilla

    /// The (weighted) average of equally shaped models, every floating-point tensor on its own
    /// (tied copies follow their originals); shapes are checked for all tensors first.
    mutating func vanilla(_ inputs: [FusionInput]) throws {
        for tensor in anchor.store.tensors where tensor.dtype.isFloatingPoint {
            for input in inputs {
                guard let t = input.model.store[tensor.name], t.shape == tensor.shape else {
                    let found = input.model.store[tensor.name].map { Shape.describe($0.shape) } ?? "no such tensor"
                    throw FusionError.tensorShape(model: input.label, tensor: tensor.name,
                                                  expected: "\(Shape.describe(tensor.shape)) (the anchor's; vanilla averaging needs equal shapes)",
                                                  found: found)
                }
            }
        }
        for tensor in anchor.store.tensors where !copies.contains(tensor.name) {
            guard tensor.dtype.isFloatingPoint else { try send(tensor); continue }
            var out = [Double](repeating: 0, count: tensor.elementCount)
            for (k, input) in inputs.enumerated() {
                guard let t = input.model.store[tensor.name] else { continue }
                let values = try t.floats()
                for j in out.indices { out[j] += weights[k] * Double(values[j]) }
                t.source.release()
            }
            try send(try Tensor.fromFloats(name: tensor.name, shape: tensor.shape, values: out.narrowedToFloat(), dtype: tensor.dtype))
        }
    }
}
