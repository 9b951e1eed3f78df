import NamingSchemes
import Transport
import WeightStore

/// Read access to one model's canonical tensors as `Double` matrices and vectors.
struct ModelView {
    /// How the model is named in messages (its path).
    let label: String
    let model: CanonicalModel

    var architecture: Architecture { model.architecture }
    var store: WeightStore { model.store }

    func has(_ name: String) -> Bool { model.store.contains(name) }

    func tensor(_ name: String) throws -> Tensor {
        guard let t = model.store[name] else {
            throw FusionError.tensorShape(model: label, tensor: name, expected: "a tensor", found: "none")
        }
        return t
    }

    /// The tensor as `rows × rest`: the first axis as rows, the others flattened into columns
    /// (a 1-D tensor gives one column per element of a single row when `vectorAsRow`).
    func matrix(_ name: String) throws -> Matrix {
        let t = try tensor(name)
        let values = try doubles(t)
        let rows = t.shape.first ?? 1
        let cols = rows == 0 ? 0 : values.count / max(rows, 1)
        return try Matrix(rows: rows, cols: cols, values: values)
    }

    /// The values of a tensor, flattened.
    func vector(_ name: String) throws -> [Double] {
        try doubles(try tensor(name))
    }

    /// The values as `Double`, as the `Float`s the fused model is written in (F32 widened where
    /// it lies; F64 rounded to `Float` first); the tensor's mapped pages are released afterwards
    /// (the fusion reads every tensor once or twice, so keeping them would hold both models in
    /// memory).
    private func doubles(_ t: Tensor) throws -> [Double] {
        defer { t.source.release() }
        return try t.dtype == .f32 ? t.doubles() : t.floats().map(Double.init)
    }

    /// The tensor's last axis as rows: `[..., n]` → `n × (elements / n)` (for embeddings stored
    /// `[tokens, hidden]` whose channels are the last axis).
    func channelsLast(_ name: String) throws -> Matrix {
        let t = try tensor(name)
        let n = t.shape.last ?? 1
        let values = try doubles(t)
        let m = try Matrix(rows: values.count / max(n, 1), cols: n, values: values)
        return m.transposed()
    }
}
