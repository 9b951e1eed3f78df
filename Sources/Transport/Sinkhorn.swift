import Foundation

/// Entropic optimal transport `min ⟨P, C⟩ − reg·H(P)` by Sinkhorn scaling, matching POT's
/// `ot.sinkhorn(a, b, M, reg)` (`sinkhorn_knopp`): the same start (`u = 1/n`, `v = 1/m`), update
/// order (`v = b / Kᵀu`, then `u = 1 / ((K/a)·v)`), stopping rule (every 10th iteration, counting
/// from iteration 0, `‖colsum(P) − b‖₂ < stopThreshold`), and cap (1000 iterations).
///
/// The log-stabilised variant (``Domain/log``) computes the same iterates as POT's
/// `sinkhorn_log` without underflow: the first iteration is done in the log domain, then the
/// scalings are absorbed into dual potentials whenever they leave `[1e-50, 1e50]`
/// (Schmitzer 2019), falling back to an exact log-domain iteration on any zero or overflow.
/// ``Domain/automatic`` uses it when the kernel `exp(−C/reg)` has an all-zero row or column,
/// or when the standard iteration hits a zero, NaN or Inf (where POT would stop early).
public struct Sinkhorn: Sendable {
    /// Which iteration to run.
    public enum Domain: String, Sendable, CaseIterable {
        /// Standard scaling unless the kernel underflows, then log-stabilised.
        case automatic
        /// Standard scaling only (on numerical failure: POT's behaviour, the previous iterate).
        case standard
        /// Log-stabilised only.
        case log
    }

    /// Entropic regularisation `reg > 0` (POT's `reg`).
    public var reg: Double
    /// Iteration cap (POT's `numItermax`), `>= 1`.
    public var maxIterations: Int
    /// Stop when the column-marginal error drops below this (POT's `stopThr`), `>= 0`.
    public var stopThreshold: Double
    /// Standard, log-stabilised or automatic choice.
    public var domain: Domain
    /// Storage of the kernel `K` in the standard iteration.
    public enum Precision: String, Sendable, CaseIterable {
        /// `K` in `Double`: plans equal POT's to 1e-6 of the largest entry.
        case double
        /// `K` rounded to `Float` (half the memory traffic per iteration), scalings and sums in
        /// `Double`. Every kernel entry carries a relative error up to 6e-8; plans are tested
        /// against POT to the same 1e-6 of the largest entry (measured: at most 5e-8), and the
        /// stopping iteration may differ by one check (10 iterations). Entries below `Float`'s
        /// normal range (`exp(−87)`) count as underflow for the automatic switch.
        case mixed
    }

    /// Kernel storage precision of the standard iteration (the log domain is always `Double`).
    public var precision: Precision
    /// Worker threads for the scaling passes; `nil` = all active processors. Problems under
    /// 65,536 entries always run on one thread.
    public var threads: Int?

    public init(reg: Double, maxIterations: Int = 1000, stopThreshold: Double = 1e-9,
                domain: Domain = .automatic, precision: Precision = .double, threads: Int? = nil) {
        self.reg = reg
        self.precision = precision
        self.maxIterations = maxIterations
        self.stopThreshold = stopThreshold
        self.domain = domain
        self.threads = threads
    }

    /// Solves one problem.
    /// - Parameters:
    ///   - cost: `C`, `n × m`, finite and `>= 0`.
    ///   - a: source marginal (`n`), uniform `1/n` when `nil`.
    ///   - b: target marginal (`m`), uniform `1/m` when `nil`.
    /// - Returns: the plan `diag(u)·K·diag(v)` (`n × m`), its cost `Σ C∘P`, the iterations done
    ///   (POT's `niter + 1`), the final column-marginal error, and a warning when the cap was
    ///   reached or a fallback was taken.
    /// - Throws: ``TransportError`` for invalid input or parameters.
    public func solve(cost: Matrix, a: [Double]? = nil, b: [Double]? = nil) throws -> TransportResult {
        guard reg > 0, reg.isFinite else {
            throw TransportError.invalidParameter("reg", value: "\(reg)", hint: "the entropic regularisation must be a finite number > 0 (e.g. 0.05)")
        }
        guard maxIterations >= 1 else {
            throw TransportError.invalidParameter("maxIterations", value: "\(maxIterations)", hint: "at least 1 iteration")
        }
        guard stopThreshold >= 0, stopThreshold.isFinite else {
            throw TransportError.invalidParameter("stopThreshold", value: "\(stopThreshold)", hint: "a finite number >= 0")
        }
        if let t = threads, t < 1 {
            throw TransportError.invalidParameter("threads", value: "\(t)", hint: "at least 1")
        }
        let (a, b) = try Marginals.validate(cost: cost, a: a, b: b)
        switch domain {
        case .log:
            return logStabilized(cost: cost, a: a, b: b, note: nil)
        case .standard, .automatic:
            switch precision {
            case .double: return standard(cost: cost, a: a, b: b, element: Double.self)
            case .mixed: return standard(cost: cost, a: a, b: b, element: Float.self)
            }
        }
    }

    // MARK: - Standard (sinkhorn_knopp)

    func standard<E: KernelElement>(cost: Matrix, a: [Double], b: [Double], element: E.Type) -> TransportResult {
        let n = cost.rows, m = cost.cols
        let threadCount = Kernels.threadCount(requested: threads, elements: n * m)
        let (kernel, underflows) = Self.kernel(cost: cost, reg: reg, threads: threadCount, as: E.self)
        if domain == .automatic, underflows {
            return logStabilized(cost: cost, a: a, b: b,
                                 note: "kernel exp(-C/reg) underflows to an all-zero row or column at reg \(reg); used the log-stabilised iteration")
        }

        let workspace = ScalingWorkspace(rows: n, cols: m, threads: threadCount)
        var u = [Double](repeating: 1 / Double(n), count: n)
        var v = [Double](repeating: 1 / Double(m), count: m)
        var uPrev = u, vPrev = v
        var ktu = [Double](repeating: 0, count: m)
        var ktuNext = [Double](repeating: 0, count: m)
        let inverseA = a.map { 1 / $0 }
        Self.initialKtU(kernel: kernel, workspace: workspace, u: u, into: &ktu)

        var iterations = 0
        var converged = false
        var failure: Int? = nil
        for ii in 0..<maxIterations {
            iterations = ii + 1
            swap(&u, &uPrev)
            swap(&v, &vPrev)
            var zeroColumn = false
            for j in 0..<m {
                if ktu[j] == 0 { zeroColumn = true }
                v[j] = b[j] / ktu[j]
            }
            v.withUnsafeBufferPointer { vp in
                u.withUnsafeMutableBufferPointer { up in
                    ktuNext.withUnsafeMutableBufferPointer { out in
                        workspace.pass(kernel: kernel.baseAddress, v: vp.baseAddress!, u: up.baseAddress!, ktu: out.baseAddress!) { i, s in
                            1 / (s * inverseA[i])
                        }
                    }
                }
            }
            if zeroColumn || !u.allSatisfy({ $0.isFinite }) || !v.allSatisfy({ $0.isFinite }) {
                failure = ii
                break
            }
            swap(&ktu, &ktuNext)
            if ii % 10 == 0 {
                var err = 0.0
                for j in 0..<m { let d = v[j] * ktu[j] - b[j]; err += d * d }
                if err.squareRoot() < stopThreshold { converged = true; break }
            }
        }

        var warning: String? = nil
        if let ii = failure {
            if domain == .automatic {
                return logStabilized(cost: cost, a: a, b: b,
                                     note: "standard Sinkhorn hit a numerical error (zero, NaN or Inf scaling) at iteration \(ii) with reg \(reg); used the log-stabilised iteration")
            }
            u = uPrev; v = vPrev
            warning = "numerical errors at iteration \(ii) (reg \(reg) too small for the standard iteration); returned the previous iterate"
        } else if !converged {
            warning = capWarning()
        }
        let plan = Self.plan(kernel: kernel.baseAddress, u: u, v: v, threads: threadCount)
        return TransportResult(plan: plan, cost: cost, b: b, solver: .sinkhorn, iterations: iterations, warning: warning)
    }

    /// The plan `diag(u)·K·diag(v)` (`n × m` for `n = u.count`, `m = v.count`), rows split
    /// over `threads`.
    static func plan<E: KernelElement>(kernel k: UnsafePointer<E>, u: [Double], v: [Double], threads: Int) -> Matrix {
        let n = u.count, m = v.count
        var plan = Matrix(rows: n, cols: m)
        let ranges = Kernels.ranges(rows: n, parts: threads)
        plan.storage.withUnsafeMutableBufferPointer { pbuf in
            u.withUnsafeBufferPointer { ubuf in
                v.withUnsafeBufferPointer { vbuf in
                    let p = pbuf.baseAddress!, u = ubuf.baseAddress!, v = vbuf.baseAddress!
                    Kernels.parallel(threads) { t in
                        for i in ranges[t] {
                            let ui = u[i], row = k + i * m, out = p + i * m
                            for j in 0..<m { out[j] = ui * Double(row[j]) * v[j] }
                        }
                    }
                }
            }
        }
        return plan
    }

    /// `Kᵀ·u` for the first iteration: one pass of `workspace` with the row scalings held at `u`
    /// (the row products the pass also forms are discarded). The team's own pass rather than
    /// BLAS `dgemv`: OpenBLAS's threads keep spinning for a while after a call, on the cores the
    /// team is about to use.
    static func initialKtU<E: KernelElement>(kernel: AlignedBuffer<E>, workspace: ScalingWorkspace, u: [Double], into ktu: inout [Double]) {
        var scratch = u
        let zeros = [Double](repeating: 0, count: ktu.count)
        zeros.withUnsafeBufferPointer { vp in
            scratch.withUnsafeMutableBufferPointer { up in
                ktu.withUnsafeMutableBufferPointer { out in
                    workspace.pass(kernel: kernel.baseAddress, v: vp.baseAddress!, u: up.baseAddress!, ktu: out.baseAddress!) { i, _ in u[i] }
                }
            }
        }
    }

    /// `K = exp(C / −reg)` (`n × m`, row-major, 64-byte aligned; the quotient as POT forms it,
    /// its exponential within 2 ulp, ``KernelElement/expQuotient(_:divisor:into:_:)``) and
    /// whether some row or column of it is entirely zero.
    static func kernel<E: KernelElement>(cost: Matrix, reg: Double, threads: Int, as: E.Type) -> (kernel: AlignedBuffer<E>, underflows: Bool) {
        let n = cost.rows, m = cost.cols
        let kernel = AlignedBuffer<E>(uninitialized: n * m)
        let divisor = -reg
        let ranges = Kernels.ranges(rows: n, parts: threads)
        var rowAlive = [Bool](repeating: false, count: n)
        var colAlive = [Bool](repeating: false, count: threads * m)
        cost.storage.withUnsafeBufferPointer { c in
            rowAlive.withUnsafeMutableBufferPointer { rbuf in
                colAlive.withUnsafeMutableBufferPointer { cbuf in
                    let k = kernel.baseAddress, rows = rbuf.baseAddress!, cols = cbuf.baseAddress!
                    Kernels.parallel(threads) { t in
                        for i in ranges[t] {
                            let row = c.baseAddress! + i * m, out = k + i * m
                            E.expQuotient(row, divisor: divisor, into: out, m)
                            for j in 0..<m where out[j] >= E.leastNormalMagnitude { rows[i] = true; cols[t * m + j] = true }
                        }
                    }
                }
            }
        }
        let columnsAlive = (0..<m).allSatisfy { j in (0..<threads).contains { colAlive[$0 * m + j] } }
        return (kernel, rowAlive.contains(false) || !columnsAlive)
    }

    func capWarning() -> String {
        "Sinkhorn did not converge in \(maxIterations) iterations (stop threshold \(stopThreshold)); raise the iteration cap or the regularisation"
    }
}
