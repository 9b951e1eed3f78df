import Foundation

/// Ground metric between the rows of two feature matrices (out-neurons of two models), with
/// the options of the reference implementation's `GroundMetric` (ICLR 2024 transformer fusion,
/// YAML block `fusion.gnd_metric` plus `fusion.wts.norm`). Option names follow the YAML keys.
///
/// Pipeline (reference order): optional row preprocessing → distance → sanity check →
/// normalisation → optional clipping. Output `C` is `x.rows × y.rows`, finite and `>= 0`.
public struct GroundMetric: Sendable, Equatable {
    /// `gnd_metric.type`.
    public enum Kind: String, Sendable, CaseIterable { case euclidean, cosine }
    /// `gnd_metric.norm`: divide by the max / median (lower median, like `torch.median`) /
    /// mean of all entries, apply `log1p`, or leave as is.
    public enum Normalization: String, Sendable, CaseIterable { case max, median, mean, log, none }
    /// Row preprocessing applied when `wts.norm` is on in weight mode. The reference chooses by
    /// dataset: `unitNorm` (default: `x / (‖x‖ + 1e-9)` per row), `globalMax` (`tinyimagenet`:
    /// `x / (max x + 1e-9)`), `globalAbsMax` (`wiki`: `x / (max |x| + 1e-9)`).
    public enum Preprocessing: String, Sendable, CaseIterable { case none, unitNorm, globalMax, globalAbsMax }

    /// `gnd_metric.type`.
    public var type: Kind
    /// `gnd_metric.norm`.
    public var norm: Normalization
    /// `gnd_metric.squared`: squared Euclidean distances (ignored for cosine, and — like the
    /// reference — when `y` is omitted).
    public var squared: Bool
    /// `gnd_metric.clip`: clamp to `[reg·clipMin, reg·clipMax]` after normalising (when
    /// `clipMin > clipMax` every entry becomes `reg·clipMax`, as `torch.clamp_` does).
    public var clip: Bool
    /// `gnd_metric.clip_min`.
    public var clipMin: Double
    /// `gnd_metric.clip_max`.
    public var clipMax: Double
    /// `gnd_metric.reg`, the clipping scale.
    public var reg: Double
    /// Row preprocessing (`wts.norm` in weight mode; see ``Preprocessing``).
    public var preprocessing: Preprocessing

    /// Defaults follow the reference's example YAML (Euclidean, not squared, divided by the max,
    /// no clipping, `reg` 0.01, no preprocessing); the clipping bounds default to `[0, 1]·reg`
    /// (the YAML's 5 / 0 would clip everything to 0 if clipping were switched on).
    public init(type: Kind = .euclidean, norm: Normalization = .max, squared: Bool = false,
                clip: Bool = false, clipMin: Double = 0, clipMax: Double = 1, reg: Double = 0.01,
                preprocessing: Preprocessing = .none) {
        self.type = type
        self.norm = norm
        self.squared = squared
        self.clip = clip
        self.clipMin = clipMin
        self.clipMax = clipMax
        self.reg = reg
        self.preprocessing = preprocessing
    }

    /// The ground-metric matrix between the rows of `x` (`n × d`) and of `y` (`m × d`), `n × m`;
    /// with `y == nil`, between the rows of `x` themselves (`n × n`, always non-squared Euclidean,
    /// like the reference).
    /// - Throws: ``TransportError`` for empty or non-finite features, mismatched widths, a cosine
    ///   of a zero row, or a zero normaliser (the reference asserts on the NaN these give).
    public func process(_ x: Matrix, _ y: Matrix? = nil) throws -> Matrix {
        try Self.checkShapes(x, y)
        // A non-finite feature makes some Euclidean distance non-finite, so the Euclidean pass
        // reports it and the features are searched only then (for the precise message).
        if type == .cosine { try Self.checkFeatures(x, y) }
        let (px, pxNorms) = preprocess(x)
        let py = y.map(preprocess)
        var c: Matrix
        var summary: EntrySummary?
        switch type {
        case .euclidean:
            (c, summary) = Self.euclidean(px, py?.matrix ?? px, squared: y == nil ? false : squared,
                                          normsX: pxNorms, normsY: py == nil ? pxNorms : py?.norms)
        case .cosine: c = try Self.cosine(px, py?.matrix ?? px)
        }
        // The Euclidean pass already knows whether every entry is finite and >= 0, and the largest.
        let clean = summary?.finiteNonNegative == true
        if !clean {
            if type == .euclidean { try Self.checkFeatures(x, y) }
            try Self.sanityCheck(c, step: "\(type.rawValue) distance")
        }
        try normalize(&c, maximum: summary?.maximum)
        // Finite entries >= 0 stay so when divided by their maximum, through log1p, or untouched.
        if !(clean && [.max, .log, .none].contains(norm)) {
            try Self.sanityCheck(c, step: "normalisation '\(norm.rawValue)'")
        }
        if clip {
            let lo = reg * clipMin, hi = reg * clipMax
            for k in c.storage.indices { c.storage[k] = Swift.min(Swift.max(c.storage[k], lo), hi) }
            try Self.sanityCheck(c, step: "clipping")
        }
        return c
    }

    // MARK: - Steps

    /// `x` after ``preprocessing``, with the squared row norms of the result when the same pass
    /// gives them (unit-norm rows); `nil` otherwise.
    func preprocess(_ x: Matrix) -> (matrix: Matrix, norms: [Double]?) {
        switch preprocessing {
        case .none:
            return (x, nil)
        case .unitNorm:
            let scales = Self.squaredNorms(x).map { 1 / ($0.squareRoot() + 1e-9) }
            let (scaled, norms) = Self.scaledRows(x, by: scales)
            return (scaled, norms)
        case .globalMax:
            let d = (x.storage.max() ?? 0) + 1e-9
            var out = x
            out.storage = x.storage.map { $0 / d }
            return (out, nil)
        case .globalAbsMax:
            let d = (x.storage.lazy.map { abs($0) }.max() ?? 0) + 1e-9
            var out = x
            out.storage = x.storage.map { $0 / d }
            return (out, nil)
        }
    }

    /// What a pass over a computed matrix learnt on the way.
    struct EntrySummary {
        /// The largest entry (meaningful when `finiteNonNegative`).
        var maximum: Double
        /// Whether every entry is finite and `>= 0`.
        var finiteNonNegative: Bool
    }

    /// `‖xᵢ − yⱼ‖` (or its square) through `‖x‖² + ‖y‖² − 2·X·Yᵀ` (one `dgemm`), negatives
    /// clamped to 0. Entries that lose more than half their digits to cancellation
    /// (`d² < 1e-8·(‖x‖² + ‖y‖²)`) are recomputed directly from the difference. `normsX` /
    /// `normsY`, when given, are ``squaredNorms(_:)`` of `x` / `y`.
    static func euclidean(_ x: Matrix, _ y: Matrix, squared: Bool, normsX: [Double]? = nil, normsY: [Double]? = nil) -> (Matrix, EntrySummary) {
        var g = BLAS.multiply(x, y, transposeB: true)
        let nx = normsX ?? squaredNorms(x), ny = normsY ?? squaredNorms(y)
        let d = x.cols, m = y.rows
        let threads = Kernels.threadCount(requested: nil, elements: x.rows * m)
        let ranges = Kernels.ranges(rows: x.rows, parts: threads)
        var summaries = [EntrySummary](repeating: EntrySummary(maximum: -.infinity, finiteNonNegative: true), count: threads)
        g.storage.withUnsafeMutableBufferPointer { gbuf in
          summaries.withUnsafeMutableBufferPointer { sbuf in
            let summaries = sbuf.baseAddress!
            x.storage.withUnsafeBufferPointer { xbuf in
                y.storage.withUnsafeBufferPointer { ybuf in
                    nx.withUnsafeBufferPointer { nxb in
                        ny.withUnsafeBufferPointer { nyb in
                            let g = gbuf.baseAddress!, xs = xbuf.baseAddress!, ys = ybuf.baseAddress!
                            let nx = nxb.baseAddress!, ny = nyb.baseAddress!
                            Kernels.parallel(threads) { t in
                                var maximum = -Double.infinity
                                var clean = true
                                for i in ranges[t] {
                                    let row = g + i * m
                                    for j in 0..<m {
                                        let scale = nx[i] + ny[j]
                                        var d2 = scale - 2 * row[j]
                                        if d2 < 1e-8 * scale {
                                            var s = 0.0
                                            for t in 0..<d {
                                                let diff = xs[i * d + t] - ys[j * d + t]
                                                s += diff * diff
                                            }
                                            d2 = s
                                        }
                                        d2 = Swift.max(d2, 0)
                                        let value = squared ? d2 : d2.squareRoot()
                                        row[j] = value
                                        clean = clean && value - value == 0 && value >= 0
                                        maximum = Swift.max(maximum, value)
                                    }
                                }
                                summaries[t] = EntrySummary(maximum: maximum, finiteNonNegative: clean)
                            }
                        }
                    }
                }
            }
          }
        }
        let summary = EntrySummary(maximum: summaries.map(\.maximum).max() ?? 0,
                                   finiteNonNegative: summaries.allSatisfy(\.finiteNonNegative))
        return (g, summary)
    }

    /// `1 − ⟨xᵢ, yⱼ⟩ / (‖xᵢ‖·‖yⱼ‖)`, clamped below at 0.
    static func cosine(_ x: Matrix, _ y: Matrix) throws -> Matrix {
        var g = BLAS.multiply(x, y, transposeB: true)
        let nx = squaredNorms(x).map { $0.squareRoot() }, ny = squaredNorms(y).map { $0.squareRoot() }
        if let i = nx.firstIndex(of: 0) {
            throw TransportError.undefinedMetric("cosine distance of row \(i) of x \(x.shapeDescription), which is all zeros")
        }
        if let j = ny.firstIndex(of: 0) {
            throw TransportError.undefinedMetric("cosine distance of row \(j) of y \(y.shapeDescription), which is all zeros")
        }
        for i in 0..<x.rows {
            for j in 0..<y.rows {
                let k = i * y.rows + j
                g.storage[k] = Swift.max(1 - g.storage[k] / (nx[i] * ny[j]), 0)
            }
        }
        return g
    }

    /// Applies `norm` to `c`; `maximum`, when given, is `c`'s largest entry (all finite).
    func normalize(_ c: inout Matrix, maximum: Double? = nil) throws {
        let divisor: Double
        switch norm {
        case .none:
            return
        case .log:
            for k in c.storage.indices { c.storage[k] = Foundation.log1p(c.storage[k]) }
            return
        case .max:
            divisor = maximum ?? Kernels.maximum(c.storage)
        case .median:
            let sorted = c.storage.sorted()
            divisor = sorted[(sorted.count - 1) / 2]
        case .mean:
            divisor = c.storage.reduce(0, +) / Double(c.storage.count)
        }
        guard divisor > 0, divisor.isFinite else {
            throw TransportError.undefinedMetric("normalisation '\(norm.rawValue)' divides by \(divisor) (matrix \(c.shapeDescription)); choose norm 'none' or 'log' for such features")
        }
        let cols = c.cols
        c.storage.withUnsafeMutableBufferPointer { p in
            guard let p = p.baseAddress else { return }
            forEachBand(rows: c.rows, elements: c.rows * cols) { band in
                for k in (band.lowerBound * cols)..<(band.upperBound * cols) { p[k] /= divisor }
            }
        }
    }

    // MARK: - Checks

    /// `‖xᵢ‖²` per row, each summed in column order. Eight rows at a time, each with its own
    /// running sum (the same additions in the same order as one row alone: eight independent
    /// chains instead of one latency-bound chain), rows split over the cores.
    static func squaredNorms(_ x: Matrix) -> [Double] {
        rowPass(x, scales: nil, into: nil)
    }

    /// `x` with row `i` multiplied by `scales[i]`, and the squared norms of its rows, in one
    /// pass: the norms equal ``squaredNorms(_:)`` of the scaled matrix bit for bit.
    static func scaledRows(_ x: Matrix, by scales: [Double]) -> (Matrix, norms: [Double]) {
        var norms: [Double] = []
        let scaled = scales.withUnsafeBufferPointer { sp in
            Matrix(rows: x.rows, cols: x.cols) { out in
                guard let base = out.baseAddress else { return }
                norms = rowPass(x, scales: sp.baseAddress, into: base)
            }
        }
        return (scaled, norms)
    }

    /// The pass of ``squaredNorms(_:)``; with `scales`, each value is first multiplied by its
    /// row's scale and written to `into` (same layout as `x`), and the norms are the written
    /// values'.
    private static func rowPass(_ x: Matrix, scales: UnsafePointer<Double>?, into target: UnsafeMutablePointer<Double>?) -> [Double] {
        let n = x.cols, rows = x.rows
        var norms = [Double](repeating: 0, count: rows)
        guard rows > 0, n > 0 else { return norms }
        let threads = Kernels.threadCount(requested: nil, elements: rows * n)
        let ranges = Kernels.ranges(rows: rows, parts: threads)
        x.storage.withUnsafeBufferPointer { p in
            norms.withUnsafeMutableBufferPointer { out in
                let (p, out) = (p.baseAddress!, out.baseAddress!)
                Kernels.parallel(threads) { t in
                    var i = ranges[t].lowerBound
                    let end = ranges[t].upperBound
                    while i + 8 <= end {
                        var s = SIMD8<Double>(repeating: 0)
                        var scale = SIMD8<Double>(repeating: 1)
                        if let scales { for r in 0..<8 { scale[r] = scales[i + r] } }
                        for j in 0..<n {
                            var v = SIMD8<Double>()
                            for r in 0..<8 { v[r] = p[(i + r) * n + j] }
                            if let target {
                                v *= scale
                                for r in 0..<8 { target[(i + r) * n + j] = v[r] }
                            }
                            s += v * v
                        }
                        for r in 0..<8 { out[i + r] = s[r] }
                        i += 8
                    }
                    while i < end {
                        var s = 0.0
                        for j in 0..<n {
                            var v = p[i * n + j]
                            if let target, let scales {
                                v *= scales[i]
                                target[i * n + j] = v
                            }
                            s += v * v
                        }
                        out[i] = s
                        i += 1
                    }
                }
            }
        }
        return norms
    }

    /// Non-empty features of equal widths; `x` alone when `y` is `nil`.
    static func checkShapes(_ x: Matrix, _ y: Matrix?) throws {
        guard !x.isEmpty else { throw TransportError.emptyMatrix("features x", rows: x.rows, cols: x.cols) }
        guard let y else { return }
        guard !y.isEmpty else { throw TransportError.emptyMatrix("features y", rows: y.rows, cols: y.cols) }
        guard x.cols == y.cols else {
            try checkFeatures(x, y)   // a non-finite value is named first, as always
            throw TransportError.shapeMismatch("features x \(x.shapeDescription) and y \(y.shapeDescription) must have the same number of columns")
        }
    }

    /// Every feature finite, or an error naming the first one that is not (`x`'s first).
    static func checkFeatures(_ x: Matrix, _ y: Matrix?) throws {
        for (m, name) in [(x, "features x"), (y, "features y")] {
            guard let m, !Kernels.allFinite(m.storage), let k = m.storage.firstIndex(where: { !$0.isFinite }) else { continue }
            throw TransportError.nonFinite(name, row: k / m.cols, col: k % m.cols, value: m.storage[k])
        }
    }

    static func sanityCheck(_ c: Matrix, step: String) throws {
        if !Kernels.allFiniteNonNegative(c.storage), let k = c.storage.firstIndex(where: { !($0 >= 0) || !$0.isFinite }) {
            throw TransportError.undefinedMetric("after \(step), entry [\(k / c.cols), \(k % c.cols)] of \(c.shapeDescription) is \(c.storage[k])")
        }
    }
}
