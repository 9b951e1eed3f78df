/// A dense layer `y = x · Wᵀ + b` with the PyTorch layout: `weight` is `[out, in]` row-major.
struct Linear: Sendable {
    let weight: [Float]
    let bias: [Float]
    let inFeatures: Int
    let outFeatures: Int

    /// Applies the layer to `rows` input rows (`x` is `[rows, inFeatures]`).
    /// - Returns: `[rows, outFeatures]`. One `sgemm` with the weight transposed in place.
    func callAsFunction(_ x: [Float], rows: Int) -> [Float] {
        precondition(x.count == rows * inFeatures, "Linear: input has \(x.count) values, expected \(rows)×\(inFeatures)")
        guard rows > 0, outFeatures > 0 else { return [] }
        var y = [Float](unsafeUninitializedCapacity: rows * outFeatures) { buffer, n in
            for r in 0..<rows {
                (buffer.baseAddress! + r * outFeatures).initialize(from: bias, count: outFeatures)
            }
            n = rows * outFeatures
        }
        x.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                y.withUnsafeMutableBufferPointer { yp in
                    BLAS.gemm(transB: true, m: rows, n: outFeatures, k: inFeatures,
                              a: xp.baseAddress!, lda: inFeatures, b: wp.baseAddress!, ldb: inFeatures,
                              beta: 1, c: yp.baseAddress!, ldc: outFeatures)
                }
            }
        }
        return y
    }
}

/// LayerNorm over the last axis: `(x − mean) / √(var + eps) · γ + β`, with the biased
/// variance as torch computes it.
struct LayerNorm: Sendable {
    let gamma: [Float]
    let beta: [Float]
    let eps: Float
    var width: Int { gamma.count }

    /// Normalises each of the `x.count / width` rows of `x`.
    func callAsFunction(_ x: [Float]) -> [Float] {
        var out = x
        apply(&out)
        return out
    }

    /// Normalises the rows of `x` in place (rows split over the BLAS threads).
    func apply(_ x: inout [Float]) {
        let width = self.width
        let rows = x.count / max(1, width)
        guard rows > 0 else { return }
        let eps = self.eps
        x.withUnsafeMutableBufferPointer { xp in
            gamma.withUnsafeBufferPointer { gp in
                beta.withUnsafeBufferPointer { bp in
                    let base = SharedPointer(xp.baseAddress!)
                    let g = SharedPointer(UnsafeMutablePointer(mutating: gp.baseAddress!))
                    let b = SharedPointer(UnsafeMutablePointer(mutating: bp.baseAddress!))
                    Parallel.chunks(rows, minimum: 64) { range in
                        for r in range {
                            let row = base.base + r * width
                            var sum: Float = 0
                            for i in 0..<width { sum += row[i] }
                            let mean = sum / Float(width)
                            var squares: Float = 0
                            for i in 0..<width { let d = row[i] - mean; squares += d * d }
                            let inv = 1 / (squares / Float(width) + eps).squareRoot()
                            for i in 0..<width { row[i] = (row[i] - mean) * inv * g.base[i] + b.base[i] }
                        }
                    }
                }
            }
        }
    }
}
