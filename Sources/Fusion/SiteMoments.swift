/// Per-channel moments of the quantity `x` at one ``RepairSite`` over the calibration rows
/// (every token of the first calibration inputs; for BERT the tokens whose attention mask is
/// 1). Variances are population variances (`1/N`), accumulated in `Double`.
///
/// Invariant: `mean`, `variance` (and every array of `parts`) have one value per channel.
struct SiteMoments: Sendable, Equatable {
    var mean: [Double]
    var variance: [Double]
    /// For a join `x = r + s` of the residual stream `r` and the part `s` a sublayer (or the
    /// position / token-type embeddings) writes into it: the moments of both parts, from
    /// which the correction of `s` alone is solved. `nil` when one layer writes all of `x`.
    var parts: JoinMoments?

    var width: Int { mean.count }
    var std: [Double] { variance.map { max($0, 0).squareRoot() } }

    /// Moments of `values` (`rows × width`, row-major).
    init(values: [Float], rows: Int, width: Int) {
        let (m, v) = Self.moments(values, rows: rows, width: width)
        mean = m
        variance = v
        parts = nil
    }

    /// Moments of `x = r + s` and of its parts (`rows × width` each, row-major).
    init(residual r: [Float], written s: [Float], rows: Int, width: Int) {
        let (mr, vr) = Self.moments(r, rows: rows, width: width)
        let (ms, vs) = Self.moments(s, rows: rows, width: width)
        var cov = [Double](repeating: 0, count: width)
        for i in 0..<rows {
            let base = i * width
            for c in 0..<width { cov[c] += (Double(r[base + c]) - mr[c]) * (Double(s[base + c]) - ms[c]) }
        }
        let n = Double(max(rows, 1))
        for c in 0..<width { cov[c] /= n }
        parts = JoinMoments(meanR: mr, meanS: ms, varR: vr, varS: vs, cov: cov)
        mean = (0..<width).map { mr[$0] + ms[$0] }
        variance = (0..<width).map { vr[$0] + vs[$0] + 2 * cov[$0] }
    }

    /// Moments of a LayerNorm's output `LN(x)·γ + β` for `x` (`rows × width`, row-major),
    /// normalised per row with the biased variance as torch does.
    init(layerNorm x: [Float], rows: Int, width: Int, gamma: [Float], beta: [Float], eps: Double) {
        var y = [Float](repeating: 0, count: x.count)
        for i in 0..<rows {
            let base = i * width
            var mean = 0.0, squares = 0.0
            for c in 0..<width { mean += Double(x[base + c]) }
            mean /= Double(max(width, 1))
            for c in 0..<width { let d = Double(x[base + c]) - mean; squares += d * d }
            let inv = 1 / (squares / Double(max(width, 1)) + eps).squareRoot()
            for c in 0..<width { y[base + c] = Float((Double(x[base + c]) - mean) * inv * Double(gamma[c]) + Double(beta[c])) }
        }
        self.init(values: y, rows: rows, width: width)
    }

    /// Column means and population variances (two passes, for accuracy).
    static func moments(_ x: [Float], rows: Int, width: Int) -> (mean: [Double], variance: [Double]) {
        var mean = [Double](repeating: 0, count: width), variance = [Double](repeating: 0, count: width)
        guard rows > 0 else { return (mean, variance) }
        for i in 0..<rows {
            let base = i * width
            for c in 0..<width { mean[c] += Double(x[base + c]) }
        }
        let n = Double(rows)
        for c in 0..<width { mean[c] /= n }
        for i in 0..<rows {
            let base = i * width
            for c in 0..<width { let d = Double(x[base + c]) - mean[c]; variance[c] += d * d }
        }
        for c in 0..<width { variance[c] /= n }
        return (mean, variance)
    }
}

/// The moments of the two parts of a join `x = r + s` (one value per channel each).
struct JoinMoments: Sendable, Equatable {
    var meanR: [Double], meanS: [Double]
    var varR: [Double], varS: [Double]
    /// Population covariance of `r` and `s`.
    var cov: [Double]
}
