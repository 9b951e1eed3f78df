extension ActivationMatrix {
    /// Applies `normalization` per column (neuron) over the rows (samples), in double precision.
    /// - Throws: `InferenceError.input` when standardising fewer than 2 rows (the unbiased std
    ///   is undefined; torch returns NaN).
    public mutating func normalize(_ normalization: ActivationNormalization) throws {
        guard normalization != .none, rows > 0 else { return }
        if normalization == .standardize, rows < 2 {
            throw InferenceError.input(message: "\(name): standardising needs at least 2 activation rows, found \(rows) (capture more samples, or use --normalize center|l2|none)")
        }
        var mean = [Double](repeating: 0, count: width)
        var second = [Double](repeating: 0, count: width)
        for r in 0..<rows {
            let base = r * width
            for c in 0..<width { mean[c] += Double(values[base + c]) }
        }
        for c in 0..<width { mean[c] /= Double(rows) }
        for r in 0..<rows {
            let base = r * width
            for c in 0..<width {
                let v = Double(values[base + c])
                let d = normalization == .l2 ? v : v - mean[c]
                second[c] += d * d
            }
        }
        var shift = [Float](repeating: 0, count: width)
        var scale = [Float](repeating: 1, count: width)
        for c in 0..<width {
            switch normalization {
            case .standardize:
                shift[c] = Float(mean[c])
                scale[c] = Float(1 / ((second[c] / Double(rows - 1)).squareRoot() + 1e-9))
            case .center:
                shift[c] = Float(mean[c])
            case .l2:
                scale[c] = Float(1 / max(second[c].squareRoot(), 1e-12))
            case .none:
                break
            }
        }
        for r in 0..<rows {
            let base = r * width
            for c in 0..<width { values[base + c] = (values[base + c] - shift[c]) * scale[c] }
        }
    }
}
