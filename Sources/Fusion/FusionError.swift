/// Every error the `Fusion` module throws. Messages name the model, the tensor and the shapes
/// involved and, where useful, what to do.
public enum FusionError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Fewer than two models, an anchor index out of range, weights of the wrong count…
    case invalidArguments(String)
    /// The models cannot be fused together (family, depth, heads, vocabulary, patch size…).
    case incompatibleModels(String)
    /// A tensor the flow graph needs is missing or has an unexpected shape.
    case tensorShape(model: String, tensor: String, expected: String, found: String)
    /// A tensor holds NaN or ±Inf.
    case nonFinite(model: String, tensor: String, index: Int, value: Float)
    /// A configuration key or value is invalid (file, key path, reason).
    case invalidConfig(file: String, key: String, reason: String)
    /// Activation alignment without activations, or activation files that do not fit.
    case activations(String)
    /// Optimal transport failed for a layer.
    case transport(layer: String, reason: String)
    /// The post-fusion statistics correction cannot run (calibration data, maps, shapes).
    case repair(String)
    /// The least-squares refit cannot run (calibration data, maps, shapes, a singular system).
    case refit(String)

    public var description: String {
        switch self {
        case let .invalidArguments(text):
            return text
        case let .incompatibleModels(text):
            return "models cannot be fused: \(text)"
        case let .tensorShape(model, tensor, expected, found):
            return "\(tensor): expected \(expected), found \(found) in \(model)"
        case let .nonFinite(model, tensor, index, value):
            return "\(tensor): non-finite value \(value) at flat index \(index) in \(model); fusion needs finite weights"
        case let .invalidConfig(file, key, reason):
            return "\(file): \(key): \(reason)"
        case let .activations(text):
            return "activations: \(text)"
        case let .transport(layer, reason):
            return "optimal transport for \(layer) failed: \(reason)"
        case let .repair(text):
            return "repair: \(text)"
        case let .refit(text):
            return "refit: \(text)"
        }
    }
}
