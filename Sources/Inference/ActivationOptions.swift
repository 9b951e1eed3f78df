/// Which tokens of a sequence become activation samples (the reference's `seq_filter`).
public enum SequenceFilter: Sendable, Equatable, CustomStringConvertible {
    /// Every token (for BERT: every token whose attention mask is 1).
    case all
    /// The class token only (`only_cls`; BERT: the first token, `[CLS]`).
    case onlyClassToken
    /// The class token plus the centre `n × n` window of the patch grid (`window_n`, ViT only):
    /// rows and columns `(grid − n) / 2 ..< (grid − n) / 2 + n` (rounded down when `grid − n` is odd).
    case window(Int)

    /// Parses `all` / `none`, `only_cls`, `window_N`.
    public init?(name: String) {
        switch name {
        case "all", "none": self = .all
        case "only_cls": self = .onlyClassToken
        default:
            guard name.hasPrefix("window_"), let n = Int(name.dropFirst("window_".count)), n > 0 else { return nil }
            self = .window(n)
        }
    }

    public var description: String {
        switch self {
        case .all: return "all"
        case .onlyClassToken: return "only_cls"
        case let .window(n): return "window_\(n)"
        }
    }
}

/// The per-neuron transform applied to each module's `[samples, width]` activations.
public enum ActivationNormalization: String, Sendable, CaseIterable {
    /// `(a − mean) / (std + 1e-9)` per column, `std` the unbiased (N − 1) standard deviation (torch.std).
    case standardize
    /// `a − mean` per column.
    case center
    /// `a / max(‖a_col‖₂, 1e-12)` per column (torch.nn.functional.normalize over samples).
    case l2
    /// Raw activations.
    case none
}

/// How to capture activations.
public struct ActivationOptions: Sendable, Equatable {
    /// The first `numSamples` inputs of the dataset, in file order (the paper uses 200).
    public var numSamples: Int
    public var sequenceFilter: SequenceFilter
    public var normalization: ActivationNormalization
    /// Samples per forward batch (bounds temporary memory, not the result).
    public var batchSize: Int
    /// Also hand on the inputs of the linear layers, named `<layer>` +
    /// ``ActivationCapture/inputSuffix`` (`…query:input` stands for the key's and value's too;
    /// `classifier:input` is the class token after the final LayerNorm). Off for fusion's
    /// activations; the least-squares refit (``Refit`` in the Fusion module) needs them.
    public var linearInputs: Bool

    public init(numSamples: Int = 200, sequenceFilter: SequenceFilter = .all,
                normalization: ActivationNormalization = .standardize, batchSize: Int = 32,
                linearInputs: Bool = false) {
        self.linearInputs = linearInputs
        self.numSamples = numSamples
        self.sequenceFilter = sequenceFilter
        self.normalization = normalization
        self.batchSize = batchSize
    }
}

/// One module's activations: `rows` samples (tokens flattened, sample-major) × `width` neurons.
public struct ActivationMatrix: Sendable, Equatable {
    /// The canonical module name (`encoder.layer.0.intermediate.dense`, `embeddings`, …).
    public let name: String
    public let rows: Int
    public let width: Int
    /// `[rows, width]` row-major.
    public var values: [Float]

    public init(name: String, rows: Int, width: Int, values: [Float]) {
        precondition(values.count == rows * width, "ActivationMatrix \(name): \(values.count) values for [\(rows), \(width)]")
        self.name = name
        self.rows = rows
        self.width = width
        self.values = values
    }
}
