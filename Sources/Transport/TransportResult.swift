/// The solution of one optimal-transport problem.
public struct TransportResult: Sendable {
    /// Which algorithm produced a plan.
    public enum Solver: String, Sendable {
        /// Exact, uniform marginals, solved as a (possibly duplicated) linear assignment.
        case emdAssignment = "emd-assignment"
        /// Exact, network simplex for arbitrary marginals.
        case emdNetworkSimplex = "emd-network-simplex"
        /// Entropic, POT's `sinkhorn_knopp` iteration.
        case sinkhorn
        /// Entropic, log-stabilised iteration (same iterates as POT's `sinkhorn_log`).
        case sinkhornLog = "sinkhorn-log"
    }

    /// The transport plan `P` (`n × m`), non-negative, rows summing to `a`, columns to `b`.
    public var plan: Matrix
    /// `Σ P ∘ C`.
    public var cost: Double
    /// The solver that produced `plan`.
    public var solver: Solver
    /// Pivots / augmentations (EMD) or Sinkhorn iterations performed.
    public var iterations: Int
    /// `‖colsum(P) − b‖₂` (POT's stopping criterion).
    public var marginalError: Double
    /// Set when the iteration cap was reached or a numerical fallback was taken; never fatal.
    public var warning: String?
}

extension TransportResult {
    /// Builds a result, computing the cost `Σ P ∘ C` and the marginal error.
    init(plan: Matrix, cost: Matrix, b: [Double], solver: Solver, iterations: Int, warning: String? = nil) {
        let total = plan.storage.withUnsafeBufferPointer { p in
            cost.storage.withUnsafeBufferPointer { c in Kernels.dot(p.baseAddress!, c.baseAddress!, p.count) }
        }
        self.init(plan: plan, cost: total, solver: solver, iterations: iterations,
                  marginalError: Marginals.columnError(plan: plan, b: b), warning: warning)
    }
}
