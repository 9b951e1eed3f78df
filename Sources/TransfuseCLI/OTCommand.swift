import ArgumentParser
import Foundation
import Transport

/// `transfuse ot`: solve one optimal-transport problem whose cost matrix is stored in HDF5.
struct OTCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ot",
        abstract: "Solve one optimal-transport problem from a cost matrix stored in HDF5.",
        discussion: """
            Reads a 2-D float32 or float64 dataset C (n × m) and solves min Σ P·C with uniform \
            marginals (1/n, 1/m) unless --a / --b give others. emd is exact (assignment when the \
            marginals are uniform and one size divides the other, network simplex otherwise); \
            sinkhorn is POT's sinkhorn_knopp, switching to a log-stabilised iteration when \
            exp(-C/reg) underflows. Marginal files name a dataset as FILE.h5:NAME; without \
            :NAME the dataset `a` (or `b`), or the file's only dataset, is used.

            Sinkhorn options: --precision mixed stores the kernel exp(-C/reg) as float32 (sums             stay float64): half the memory traffic per iteration, about 1.6× faster on large             problems, plans within about 5e-8 of the largest entry of the double-precision one.             --domain log forces the log-stabilised iteration (same iterates as POT's             sinkhorn_log), standard never switches to it. --threads sets the worker threads             (default: all cores; results depend on the count in the last bits only).

            Exit status: 0 on success (also when Sinkhorn reaches its iteration cap: a warning \
            is printed), 1 on bad input (non-finite or negative costs, empty matrix, marginals \
            of the wrong length, negative or of different totals) or unreadable files.

            Examples:
              transfuse ot cost.h5 --dataset layer3 --solver emd --json
              transfuse ot cost.h5 --solver sinkhorn --reg 0.05 --output plan.h5
              transfuse ot cost.h5 --a weights.h5:a --b weights.h5:b
              transfuse ot cost.h5 --solver sinkhorn --reg 0.001 --domain log --json
            """
    )

    enum SolverName: String, ExpressibleByArgument, CaseIterable {
        case emd, sinkhorn
    }

    @Argument(help: "HDF5 file holding the cost matrix.")
    var cost: String

    @Option(help: "Dataset of the cost matrix (default: the file's only dataset).")
    var dataset: String?

    @Option(help: "emd (exact) or sinkhorn (entropic).")
    var solver: SolverName = .emd

    @Option(help: "Sinkhorn regularisation (> 0).")
    var reg: Double = 0.05

    @Option(name: .customLong("max-iter"), help: "Sinkhorn iteration cap (POT's numItermax).")
    var maxIter: Int = 1000

    @Option(name: .customLong("stop-threshold"), help: "Sinkhorn stop threshold on ‖colsum(P) − b‖₂ (POT's stopThr).")
    var stopThreshold: Double = 1e-9

    @Option(help: "Sinkhorn kernel storage: double, or mixed (float32 kernel, float64 sums).")
    var precision: Sinkhorn.Precision = .double

    @Option(help: "Sinkhorn iteration: automatic (log-stabilised when the kernel underflows), standard or log.")
    var domain: Sinkhorn.Domain = .automatic

    @Option(help: "Sinkhorn worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Source marginal a (n values): FILE.h5[:DATASET].")
    var a: String?

    @Option(help: "Target marginal b (m values): FILE.h5[:DATASET].")
    var b: String?

    @Option(help: "Write the plan (float64 dataset `plan`, n × m) to this HDF5 file.")
    var output: String?

    @Flag(help: "Overwrite --output if it exists.")
    var force = false

    @Flag(help: "Print one JSON object: cost, seconds, iterations, marginal_error, solver, warning, shape, blas_kernels.")
    var json = false

    func validate() throws {
        guard reg > 0, reg.isFinite else { throw ValidationError("--reg must be a finite number > 0") }
        guard maxIter >= 1 else { throw ValidationError("--max-iter must be at least 1") }
        guard stopThreshold >= 0, stopThreshold.isFinite else {
            throw ValidationError("--stop-threshold must be a finite number ≥ 0")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if solver == .emd, precision != .double || domain != .automatic || threads != nil {
            throw ValidationError("--precision, --domain and --threads apply to --solver sinkhorn only")
        }
    }

    func run() throws {
        var source = cost
        do {
            let problem = try OTProblemFile.read(costPath: cost, dataset: dataset, a: a, b: b)
            source = problem.description
            let start = DispatchTime.now().uptimeNanoseconds
            let result: TransportResult
            switch solver {
            case .emd:
                result = try EMD.solve(cost: problem.cost, a: problem.a, b: problem.b)
            case .sinkhorn:
                result = try Sinkhorn(reg: reg, maxIterations: maxIter, stopThreshold: stopThreshold,
                                      domain: domain, precision: precision, threads: threads)
                    .solve(cost: problem.cost, a: problem.a, b: problem.b)
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            if let output {
                try OTProblemFile.writePlan(result, to: output, force: force)
            }
            if let warning = result.warning { StandardError.line("Warning: \(warning)") }
            let report = OTReport(result: result, seconds: seconds, source: problem.description,
                                  reg: solver == .sinkhorn ? reg : nil,
                                  precision: solver == .sinkhorn ? precision.rawValue : nil)
            if json {
                try JSONOutput.print(report)
            } else {
                print(report.text)
            }
        } catch let error as TransportError {
            StandardError.line("Error: \(source): \(error)")
            throw ExitCode(1)
        } catch let error as OTProblemFile.ReadError {
            StandardError.line("Error: \(error)")
            throw ExitCode(1)
        } catch let error as ExitCode {
            throw error
        } catch {
            StandardError.line("Error: \(error)")
            throw ExitCode(1)
        }
    }
}

/// `ot --json`: the answer in POT's terms.
struct OTReport: Encodable {
    let cost: Double
    let seconds: Double
    let iterations: Int
    let marginalError: Double
    let solver: String
    let warning: String?
    let rows: Int
    let cols: Int
    let reg: Double?
    /// Sinkhorn's kernel storage (`double` or `mixed`); absent for EMD.
    let precision: String?
    let source: String
    /// OpenBLAS's kernel set (``BLASKernelChoice/coreName``): what the timing was measured with.
    let blasKernels = BLASKernelChoice.coreName

    init(result: TransportResult, seconds: Double, source: String, reg: Double?, precision: String?) {
        cost = result.cost
        self.seconds = seconds
        iterations = result.iterations
        marginalError = result.marginalError
        solver = result.solver.rawValue
        warning = result.warning
        rows = result.plan.rows
        cols = result.plan.cols
        self.reg = reg
        self.precision = precision
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case cost, seconds, iterations, solver, warning, rows, cols, reg, precision, source
        case marginalError = "marginal_error"
        case blasKernels = "blas_kernels"
    }

    var text: String {
        var lines = [
            "\(source): \(rows) × \(cols)",
            "solver          \(solver)" + (reg.map { " (reg \($0)" + (precision == "mixed" ? ", float32 kernel)" : ")") } ?? ""),
            "cost            \(cost)",
            "iterations      \(iterations)",
            "marginal error  \(marginalError)",
            String(format: "seconds         %.6f", seconds),
            "BLAS kernels    \(blasKernels)",
        ]
        if let warning { lines.append("warning         \(warning)") }
        return lines.joined(separator: "\n")
    }
}

extension Sinkhorn.Precision: ExpressibleByArgument {}
extension Sinkhorn.Domain: ExpressibleByArgument {}
