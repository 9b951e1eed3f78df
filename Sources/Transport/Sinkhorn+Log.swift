import Foundation

// MARK: - Log-stabilised Sinkhorn (same iterates as POT's sinkhorn_log)

extension Sinkhorn {
    /// Scalings are absorbed into the potentials once they leave `[1/absorbBound, absorbBound]`.
    static let absorbBound = 1e50

    /// State of the stabilised iteration. The true log-scalings are `α + log ũ` and `β + log ṽ`;
    /// `kernel = exp(−C/reg + α ⊕ β)` (`n × m`), so the plan is `diag(ũ)·kernel·diag(ṽ)`.
    struct LogState {
        var alpha: [Double]
        var beta: [Double]
        var kernel: AlignedBuffer<Double>
    }

    func logStabilized(cost: Matrix, a: [Double], b: [Double], note: String?) -> TransportResult {
        let n = cost.rows, m = cost.cols
        let threadCount = Kernels.threadCount(requested: threads, elements: n * m)
        let workspace = ScalingWorkspace(rows: n, cols: m, threads: threadCount)
        let logA = a.map { Foundation.log($0) }, logB = b.map { Foundation.log($0) }
        var state = LogState(alpha: [Double](repeating: 0, count: n), beta: [Double](repeating: 0, count: m),
                             kernel: AlignedBuffer(zeroed: n * m))
        var u = [Double](repeating: 1, count: n)
        var v = [Double](repeating: 1, count: m)
        var ktu = [Double](repeating: 0, count: m)
        var ktuNext = [Double](repeating: 0, count: m)
        var recoveries = 0

        var iterations = 0
        var converged = false
        for ii in 0..<maxIterations {
            iterations = ii + 1
            var exact = ii == 0
            if !exact {
                let uSaved = u, vSaved = v
                for j in 0..<m { v[j] = b[j] == 0 ? 0 : b[j] / ktu[j] }
                v.withUnsafeBufferPointer { vp in
                    u.withUnsafeMutableBufferPointer { up in
                        ktuNext.withUnsafeMutableBufferPointer { out in
                            workspace.pass(kernel: state.kernel.baseAddress, v: vp.baseAddress!, u: up.baseAddress!, ktu: out.baseAddress!) { i, s in
                                a[i] == 0 ? 0 : a[i] / s
                            }
                        }
                    }
                }
                let healthy = u.allSatisfy { $0.isFinite && ($0 > 0 || $0 == 0) }
                    && v.allSatisfy { $0.isFinite } && !zip(u, a).contains { $0.0 == 0 && $0.1 > 0 }
                    && !zip(v, b).contains { $0.0 == 0 && $0.1 > 0 }
                if healthy {
                    swap(&ktu, &ktuNext)
                } else {
                    // Redo this iteration exactly in the log domain from the saved scalings.
                    u = uSaved; v = vSaved
                    exact = true
                    recoveries += 1
                }
            }
            if exact {
                var logU = [Double](repeating: 0, count: n)
                for i in 0..<n { logU[i] = state.alpha[i] + Foundation.log(u[i]) }
                exactIteration(cost: cost, logA: logA, logB: logB, logU: logU, state: &state, threads: threadCount)
                for i in 0..<n { u[i] = a[i] == 0 ? 0 : 1 }
                for j in 0..<m { v[j] = b[j] == 0 ? 0 : 1 }
                rebuildKernel(cost: cost, state: &state, columnSums: &ktu, threads: threadCount)
            }
            if ii % 10 == 0 {
                var err = 0.0
                for j in 0..<m { let d = v[j] * ktu[j] - b[j]; err += d * d }
                if err.squareRoot() < stopThreshold { converged = true; break }
            }
            if !exact, needsAbsorption(u, v) {
                for i in 0..<n where u[i] > 0 { state.alpha[i] += Foundation.log(u[i]); u[i] = 1 }
                for j in 0..<m where v[j] > 0 { state.beta[j] += Foundation.log(v[j]); v[j] = 1 }
                rebuildKernel(cost: cost, state: &state, columnSums: &ktu, threads: threadCount)
            }
        }

        let plan = Self.plan(kernel: state.kernel.baseAddress, u: u, v: v, threads: threadCount)
        var notes = [String]()
        if let note { notes.append(note) }
        if recoveries > 0 { notes.append("\(recoveries) iteration(s) redone exactly in the log domain after underflow") }
        if !converged { notes.append(capWarning()) }
        return TransportResult(plan: plan, cost: cost, b: b, solver: .sinkhornLog, iterations: iterations,
                               warning: notes.isEmpty ? nil : notes.joined(separator: "; "))
    }

    func needsAbsorption(_ u: [Double], _ v: [Double]) -> Bool {
        let hi = Self.absorbBound, lo = 1 / Self.absorbBound
        for x in u where x > hi || (x > 0 && x < lo) { return true }
        for x in v where x > hi || (x > 0 && x < lo) { return true }
        return false
    }

    /// One exact log-domain iteration from log-scalings `logU`:
    /// `β = log b − LSEᵢ(−C/reg + logU)`, then `α = log a − LSEⱼ(−C/reg + β)`.
    /// Max-subtracted log-sum-exp; an all `−∞` slice gives `−∞` (zero mass), never NaN.
    func exactIteration(cost: Matrix, logA: [Double], logB: [Double], logU: [Double], state: inout LogState, threads: Int) {
        let n = cost.rows, m = cost.cols
        let scale = -1 / reg
        let ranges = Kernels.ranges(rows: n, parts: threads)
        // Column log-sum-exp: per-thread column maxima, then per-thread sums of exponentials.
        var partial = [Double](repeating: -.infinity, count: threads * m)
        cost.storage.withUnsafeBufferPointer { c in
            partial.withUnsafeMutableBufferPointer { pbuf in
                let p = pbuf.baseAddress!, c = c.baseAddress!
                Kernels.parallel(threads) { t in
                    for i in ranges[t] where logU[i] > -.infinity {
                        Kernels.maxInto(p + t * m, c + i * m, scale: scale, add: logU[i], m)
                    }
                }
            }
        }
        var colMax = [Double](repeating: -.infinity, count: m)
        for t in 0..<threads { for j in 0..<m { colMax[j] = Swift.max(colMax[j], partial[t * m + j]) } }
        // Subtracting −∞ would give NaN: such columns have no mass anyway.
        let negatedMax = colMax.map { $0 > -.infinity ? -$0 : 0 }
        for k in partial.indices { partial[k] = 0 }
        cost.storage.withUnsafeBufferPointer { c in
            partial.withUnsafeMutableBufferPointer { pbuf in
                negatedMax.withUnsafeBufferPointer { w in
                    let p = pbuf.baseAddress!, c = c.baseAddress!, w = w.baseAddress!
                    Kernels.parallel(threads) { t in
                        for i in ranges[t] where logU[i] > -.infinity {
                            _ = Kernels.expSum(c + i * m, scale: scale, add: logU[i], plus: w, m, acc: p + t * m)
                        }
                    }
                }
            }
        }
        for j in 0..<m {
            var s = 0.0
            for t in 0..<threads { s += partial[t * m + j] }
            let lse = colMax[j] > -.infinity ? colMax[j] + Foundation.log(s) : -.infinity
            state.beta[j] = logB[j] == -.infinity ? -.infinity : logB[j] - lse
        }
        // Row log-sum-exp.
        let beta = state.beta
        var alpha = [Double](repeating: 0, count: n)
        cost.storage.withUnsafeBufferPointer { c in
            alpha.withUnsafeMutableBufferPointer { abuf in
                beta.withUnsafeBufferPointer { w in
                    let out = abuf.baseAddress!, c = c.baseAddress!, w = w.baseAddress!
                    Kernels.parallel(threads) { t in
                        for i in ranges[t] {
                            if logA[i] == -.infinity { out[i] = -.infinity; continue }
                            let mx = Kernels.rowMax(c + i * m, scale: scale, plus: w, m)
                            guard mx > -.infinity else { out[i] = -.infinity; continue }
                            let s = Kernels.expSum(c + i * m, scale: scale, add: -mx, plus: w, m)
                            out[i] = logA[i] - (mx + Foundation.log(s))
                        }
                    }
                }
            }
        }
        state.alpha = alpha
    }

    /// `kernel = exp(−C/reg + α ⊕ β)` and its column sums (`Kᵀ·1`).
    func rebuildKernel(cost: Matrix, state: inout LogState, columnSums: inout [Double], threads: Int) {
        let n = cost.rows, m = cost.cols
        let scale = -1 / reg
        let ranges = Kernels.ranges(rows: n, parts: threads)
        let alpha = state.alpha, beta = state.beta
        var partial = [Double](repeating: 0, count: threads * m)
        cost.storage.withUnsafeBufferPointer { c in
            partial.withUnsafeMutableBufferPointer { pbuf in
                beta.withUnsafeBufferPointer { w in
                    let k = state.kernel.baseAddress, p = pbuf.baseAddress!, c = c.baseAddress!, w = w.baseAddress!
                    Kernels.parallel(threads) { t in
                        for i in ranges[t] {
                            if alpha[i] == -.infinity {
                                (k + i * m).update(repeating: 0, count: m)
                                continue
                            }
                            _ = Kernels.expSum(c + i * m, scale: scale, add: alpha[i], plus: w, m,
                                               out: k + i * m, acc: p + t * m)
                        }
                    }
                }
            }
        }
        for j in 0..<m {
            var s = 0.0
            for t in 0..<threads { s += partial[t * m + j] }
            columnSums[j] = s
        }
    }
}
