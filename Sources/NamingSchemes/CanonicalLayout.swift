import Foundation

/// The canonical layout of one model family (`vit`, `bert`), loaded from `Schemas/<family>.json`.
///
/// Canonical names are Hugging Face's PyTorch module names without the model prefix
/// (`encoder.layer.{i}.attention.attention.query.weight`), with PyTorch's tensor layouts
/// (linear weights `[out, in]`, conv `[out, in, kh, kw]`). Every tensor declares its symbolic
/// shape, its kind, the fusion role of every axis, and the group it belongs to; groups say
/// whether they are required and which component (embeddings, encoder, heads…) they count to.
public struct CanonicalLayout: Sendable {
    /// `vit` or `bert`.
    public let family: String
    public let description: String
    /// Dimension symbols and the config keys that give them, in lookup order.
    public let symbols: [String: [String]]
    /// Pairs of expressions that must be equal (e.g. `heads*head_dim = hidden`).
    public let constraints: [(ShapeExpression, ShapeExpression)]
    public let groups: [String: Group]
    /// Every tensor, in canonical order.
    public let tensors: [TensorSpec]
    /// Where the layout was loaded from.
    public let source: String

    /// A set of tensors that is present or absent as a whole.
    public struct Group: Sendable {
        public let name: String
        /// Absent required groups are errors; optional groups are all-or-nothing.
        public let required: Bool
        /// What parameter counts are reported under (`embeddings`, `encoder`, `heads`, `buffers`).
        public let component: String
        public let description: String
    }

    /// The fusion role of one axis.
    public enum AxisRole: String, Sendable, CaseIterable {
        /// The neurons this tensor produces: they get a transport map.
        case output = "out"
        /// Aligned by the map arriving from the previous layer.
        case input = "in"
        /// Token positions (position embeddings).
        case tokens
        /// Vocabulary entries, labels or other fixed entries that are never permuted.
        case fixed
        /// A size-1 axis.
        case none = "-"
    }

    /// What a tensor is, for fusion and inference.
    public enum Kind: String, Sendable, CaseIterable {
        case linearWeight = "linear_weight", linearBias = "linear_bias"
        case layerNormWeight = "layernorm_weight", layerNormBias = "layernorm_bias"
        case embedding, positionEmbedding = "position_embedding", clsToken = "cls_token"
        case convWeight = "conv_weight", convBias = "conv_bias"
        /// A bias over the vocabulary or labels (MLM output bias).
        case outputBias = "output_bias"
        /// A weight tied to another tensor (`tiedTo`); savers usually omit it.
        case tied
        /// A non-trainable buffer (`position_ids`).
        case buffer
    }

    /// One canonical tensor.
    public struct TensorSpec: Sendable {
        /// Name template; contains `{i}` for per-layer tensors.
        public let name: KeyTemplate
        public let shape: [ShapeExpression]
        public let kind: Kind
        /// One role per axis of `shape`.
        public let axes: [AxisRole]
        public let group: String
        /// For `tied` tensors: the canonical tensor whose values it repeats.
        public let tiedTo: String?
        public var isPerLayer: Bool { name.isPerLayer }
    }

    // MARK: - Lookup

    /// The spec of a concrete canonical name and its layer index, if the name belongs here.
    public func spec(for name: String) -> (spec: TensorSpec, layer: Int?)? {
        if let index = fixedIndex[name] { return (tensors[index], nil) }
        for index in perLayerIndices {
            if let captures = tensors[index].name.match(name), let layer = captures[KeyTemplate.layer].flatMap(Int.init) {
                return (tensors[index], layer)
            }
        }
        return nil
    }

    /// The spec whose template text is `template`.
    public func spec(template: String) -> TensorSpec? {
        tensors.first { $0.name.text == template }
    }

    private let fixedIndex: [String: Int]
    private let perLayerIndices: [Int]

    init(family: String, description: String, symbols: [String: [String]],
         constraints: [(ShapeExpression, ShapeExpression)], groups: [String: Group],
         tensors: [TensorSpec], source: String) {
        self.family = family
        self.description = description
        self.symbols = symbols
        self.constraints = constraints
        self.groups = groups
        self.tensors = tensors
        self.source = source
        var fixed: [String: Int] = [:]
        var perLayer: [Int] = []
        for (index, spec) in tensors.enumerated() {
            if spec.isPerLayer { perLayer.append(index) } else { fixed[spec.name.text] = index }
        }
        fixedIndex = fixed
        perLayerIndices = perLayer
    }
}
