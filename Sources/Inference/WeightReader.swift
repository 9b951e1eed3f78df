import WeightStore

/// Reads named tensors of a canonical store as `Float` arrays, checking each shape against
/// the config so a mismatch names the tensor and both shapes.
struct WeightReader {
    let store: WeightStore
    /// The model's path or label, for error messages.
    let source: String

    /// The tensor `name` as floats, checked to have `shape`.
    /// - Throws: `InferenceError.missingTensor` or `.shapeMismatch`.
    func floats(_ name: String, _ shape: [Int], hint: String = "") throws -> [Float] {
        guard let tensor = store[name] else {
            throw InferenceError.missingTensor(source: source, tensor: name, hint: hint.isEmpty ? defaultHint : hint)
        }
        guard tensor.shape == shape else {
            throw InferenceError.shapeMismatch(source: source, tensor: name, expected: shape, found: tensor.shape)
        }
        do {
            return try tensor.floats()
        } catch {
            throw InferenceError.unsupported(source: source, message: "\(name): \(error)")
        }
    }

    /// A dense layer `prefix.weight` `[out, in]` + `prefix.bias` `[out]`.
    func linear(_ prefix: String, out: Int, in inFeatures: Int) throws -> Linear {
        Linear(weight: try floats(prefix + ".weight", [out, inFeatures]), bias: try floats(prefix + ".bias", [out]),
               inFeatures: inFeatures, outFeatures: out)
    }

    /// A LayerNorm `prefix.weight` / `prefix.bias`, both `[width]`.
    func layerNorm(_ prefix: String, width: Int, eps: Float) throws -> LayerNorm {
        LayerNorm(gamma: try floats(prefix + ".weight", [width]), beta: try floats(prefix + ".bias", [width]), eps: eps)
    }

    /// The first dimension of `name` if the tensor exists (e.g. the label count of a classifier).
    func rows(_ name: String) -> Int? { store[name]?.shape.first }

    private var defaultHint: String {
        let prefixed = store.names.first { $0.hasPrefix("vit.") || $0.hasPrefix("bert.") }
        if let prefixed {
            return "names look prefixed (\(prefixed)); convert the store to the canonical layout first"
        }
        return "Transfuse expects the canonical layout of Schemas/vit.json or Schemas/bert.json"
    }
}
