import Foundation

extension HiddenActivation {
    /// Applies the activation to every element of `x` in place (split over the BLAS threads).
    func apply(_ x: inout [Float]) {
        let kind = self
        guard !x.isEmpty else { return }
        x.withUnsafeMutableBufferPointer { xp in
            let base = SharedPointer(xp.baseAddress!)
            Parallel.chunks(xp.count, minimum: 16_384) { range in
                let p = base.base
                switch kind {
                case .gelu:
                    for i in range { let v = p[i]; p[i] = 0.5 * v * (1 + erff(v * 0.70710678118654752)) }
                case .geluTanh:
                    for i in range {
                        let v = p[i]
                        p[i] = 0.5 * v * (1 + tanhf(0.79788456080286536 * (v + 0.044715 * v * v * v)))
                    }
                case .relu:
                    for i in range { p[i] = max(0, p[i]) }
                case .silu:
                    for i in range { let v = p[i]; p[i] = v / (1 + expf(-v)) }
                }
            }
        }
    }
}
