import Transport

/// One model's activations per canonical module name (`embeddings.patch_embeddings`,
/// `encoder.layer.3.intermediate.dense`, `encoder.layer.3.attention`, `encoder.layer.3`…),
/// each `samples × channels`, tokens flattened into samples and already transformed
/// (standardised / centred / normalised per neuron, section 6 of ALGORITHM.md).
public struct ActivationSet: Sendable {
    public var modules: [String: Matrix]
    public init(modules: [String: Matrix]) { self.modules = modules }
}

/// The activations of the model being aligned and of the anchor.
struct ActivationPair {
    let source: ActivationSet
    let anchor: ActivationSet
    let sourceLabel: String
    let anchorLabel: String

    /// The features of module `name` for the ground metric: channels × samples of both models.
    func features(_ name: String) throws -> (Matrix, Matrix) {
        guard let s = source.modules[name] else {
            throw FusionError.activations("no activations of module '\(name)' for \(sourceLabel)")
        }
        guard let a = anchor.modules[name] else {
            throw FusionError.activations("no activations of module '\(name)' for the anchor \(anchorLabel)")
        }
        guard s.rows == a.rows else {
            throw FusionError.activations("module '\(name)': \(s.rows) samples for \(sourceLabel), \(a.rows) for \(anchorLabel); both models must see the same inputs")
        }
        return (s.transposed(), a.transposed())
    }

    /// The anchor's activations of module `name` (samples × channels), if recorded.
    func anchorActs(_ name: String) -> Matrix? { anchor.modules[name] }
}
