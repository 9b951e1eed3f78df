/// One naming scheme for one family, loaded from a rule file under `Converters/` (or a user's
/// `--schemes` folder): how every key of a checkpoint in that scheme maps to the canonical
/// layout, and back.
///
/// A scheme has one or more dialects — spellings of the same scheme that differ in structure
/// (the original Google TF names and the Hugging Face `tf_model.h5` names of `tf-bert`). Within
/// a dialect, placeholders such as `{prefix}` take one of a listed set of values (the first is
/// the default); a checkpoint must use one value per placeholder throughout.
public struct Scheme: Sendable {
    /// Scheme name, e.g. `hf-bert`.
    public let name: String
    /// `vit` or `bert`.
    public let family: String
    public let description: String
    /// Among schemes that all map a checkpoint, detection picks the highest priority.
    public let priority: Int
    /// LayerNorm epsilon and activation the scheme's models use unless the config says otherwise.
    public let defaults: Defaults
    public let dialects: [Dialect]
    /// The rule file this came from.
    public let source: String

    public struct Defaults: Sendable {
        public let layerNormEps: Double?
        public let activation: String?
    }

    /// One structural spelling of the scheme.
    public struct Dialect: Sendable {
        public let name: String
        /// Placeholder names and their allowed values; the first value is the default.
        public let placeholders: [String: [String]]
        public let rules: [ConversionRule]

        /// The default value of every placeholder.
        public var defaultValues: [String: String] { placeholders.compactMapValues(\.first) }
    }
}

/// One rule: a scheme key template, the canonical tensor(s) it holds, its shape in the
/// scheme, and the transform from the scheme's layout to the canonical one.
///
/// The transform runs scheme → canonical; the converter inverts it for canonical → scheme.
/// Invariant (checked when the file loads): applying `steps` to `shape` symbolically gives
/// exactly the canonical shape of every target.
public struct ConversionRule: Sendable {
    /// Position in its dialect's rule list (0-based), for messages.
    public let index: Int
    public let key: KeyTemplate
    /// One canonical name template, or several when the last step is a split.
    public let canonical: [KeyTemplate]
    /// The tensor's shape as stored in the scheme.
    public let shape: [ShapeExpression]
    public let steps: [TransformStep]

    /// `#12 'blocks.{i}.attn.qkv.weight'`, how messages name a rule.
    public var label: String { "#\(index) '\(key.text)'" }
}

/// One step of a rule's scheme → canonical transform.
public enum TransformStep: Sendable, Equatable, CustomStringConvertible {
    /// Permutes axes: output axis k is input axis `axes[k]` (`[1, 0]` transposes a matrix;
    /// `[3, 2, 0, 1]` turns a `[P, P, C, H]` conv kernel into `[H, C, P, P]`).
    case transpose([Int])
    /// Reinterprets the row-major bytes with a new shape of the same element count
    /// (merging `[H, h, d]` into `[H, h*d]`, squeezing `[1, 1, H]`…).
    case reshape([ShapeExpression])
    /// Splits along `axis` into as many equal parts as the rule has canonical targets
    /// (timm's fused qkv); only allowed as the last step. Inverse: concatenation.
    case split(axis: Int)

    public var description: String {
        switch self {
        case let .transpose(axes): return "transpose \(axes)"
        case let .reshape(shape): return "reshape \(ShapeExpression.describe(shape))"
        case let .split(axis): return "split axis \(axis)"
        }
    }
}
