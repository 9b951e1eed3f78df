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
    /// Built on first use when the solver produced ``sparsePlan``.
    public var plan: Matrix {
        get {
            switch storage {
            case let .dense(m): return m
            case let .sparse(s): return s.dense
            }
        }
        set { storage = .dense(newValue) }
    }
    /// The plan's non-zero entries, when the solver produced them directly (exact assignments:
    /// `max(n, m)` entries), so that callers need not scan or hold the dense plan; else `nil`.
    public var sparsePlan: SparseMatrix? {
        if case let .sparse(s) = storage { return s }
        return nil
    }
    private enum PlanStorage: Sendable {
        case dense(Matrix)
        case sparse(SparseMatrix)
    }
    private var storage: PlanStorage
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
    /// A result with a dense plan.
    public init(plan: Matrix, cost: Double, solver: Solver, iterations: Int, marginalError: Double, warning: String?) {
        self.init(storage: .dense(plan), cost: cost, solver: solver, iterations: iterations, marginalError: marginalError, warning: warning)
    }

    /// A result whose plan is held as its non-zero entries.
    init(sparsePlan: SparseMatrix, cost: Double, solver: Solver, iterations: Int, marginalError: Double) {
        self.init(storage: .sparse(sparsePlan), cost: cost, solver: solver, iterations: iterations, marginalError: marginalError, warning: nil)
    }

    /// Builds a result, computing the cost `Σ P ∘ C` and the marginal error.
    init(plan: Matrix, cost: Matrix, b: [Double], solver: Solver, iterations: Int, warning: String? = nil) {
        let total = plan.storage.withUnsafeBufferPointer { p in
            cost.storage.withUnsafeBufferPointer { c in Kernels.dot(p.baseAddress!, c.baseAddress!, p.count) }
        }
        self.init(plan: plan, cost: total, solver: solver, iterations: iterations,
                  marginalError: Marginals.columnError(plan: plan, b: b), warning: warning)
    }
}
