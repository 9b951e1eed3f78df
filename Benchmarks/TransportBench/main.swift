// Times Transfuse's solvers on the problems written by Benchmarks/transport/bench_pot.py.
//
// Usage: TransportBench DIR [--runs R]
// DIR holds problems.json and the raw float64 cost matrices. Prints one JSON object with, per
// problem, the median seconds over R runs, every run, the cost <P, C>, iterations and solver.
// Sinkhorn uses as many threads as OPENBLAS_NUM_THREADS (all cores when unset), so both sides
// get the same.
import Foundation
import Transport

BLASKernelChoice.restartIfFallbackKernels()

struct Problem: Decodable {
    let name: String
    let kind: String
    let file: String
    let rows: Int
    let cols: Int
    let reg: Double?
    let iterations: Int?
    let a_file: String?
    let b_file: String?
}

struct ProblemList: Decodable { let problems: [Problem] }

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("TransportBench: \(message)\n".utf8))
    exit(1)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var requestedRuns = 3
if let k = arguments.firstIndex(of: "--runs"), k + 1 < arguments.count, let r = Int(arguments[k + 1]), r > 0 {
    requestedRuns = r
    arguments.removeSubrange(k...(k + 1))
}
let runs = requestedRuns
guard let dir = arguments.first else { fail("usage: TransportBench DIR [--runs R]") }
let base = URL(fileURLWithPath: dir)
let list: ProblemList
do {
    list = try JSONDecoder().decode(ProblemList.self, from: Data(contentsOf: base.appendingPathComponent("problems.json")))
} catch { fail("cannot read \(dir)/problems.json: \(error)") }
let threads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap(Int.init)

func readFloat64(_ file: String, count: Int) -> [Double] {
    let url = base.appendingPathComponent(file)
    guard let data = try? Data(contentsOf: url) else { fail("cannot read \(url.path)") }
    guard data.count == count * 8 else { fail("\(file): \(data.count) bytes, expected \(count * 8) (\(count) float64)") }
    var values = [Double](repeating: 0, count: count)
    data.withUnsafeBytes { raw in
        for k in values.indices {
            values[k] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * k, as: UInt64.self)))
        }
    }
    return values
}

func load(_ p: Problem) -> Matrix {
    do { return try Matrix(rows: p.rows, cols: p.cols, values: readFloat64(p.file, count: p.rows * p.cols)) } catch { fail("\(error)") }
}

/// Runs `solve` `runs` times; returns the JSON entry (median seconds, all runs, cost, ...).
@MainActor
func time(_ name: String, _ solve: () throws -> TransportResult) -> [String: Any] {
    var times = [Double]()
    var last: TransportResult?
    for _ in 0..<runs {
        let start = DispatchTime.now().uptimeNanoseconds
        do { last = try solve() } catch { fail("\(name): \(error)") }
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    let sorted = times.sorted()
    let median = sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    return ["median_seconds": median, "seconds": times, "cost": last?.cost ?? .nan,
            "iterations": last?.iterations ?? 0, "solver": last?.solver.rawValue ?? ""]
}

var results = [String: Any]()
for p in list.problems {
    let cost = load(p)
    let iterations = p.iterations ?? 1000, reg = p.reg ?? 0.05
    switch p.kind {
    case "emd":
        results[p.name] = time(p.name) { try EMD.solve(cost: cost) }
    case "emd_marginals":
        guard let af = p.a_file, let bf = p.b_file else { fail("\(p.name): a_file and b_file are required") }
        let a = readFloat64(af, count: p.rows), b = readFloat64(bf, count: p.cols)
        results[p.name] = time(p.name) { try EMD.solve(cost: cost, a: a, b: b) }
    case "sinkhorn":
        results[p.name] = time(p.name) {
            try Sinkhorn(reg: reg, maxIterations: iterations, stopThreshold: 0, domain: .standard, threads: threads).solve(cost: cost)
        }
        // The same iteration with the kernel stored as Float (sums in Double).
        var mixed = time(p.name) {
            try Sinkhorn(reg: reg, maxIterations: iterations, stopThreshold: 0, domain: .standard,
                         precision: .mixed, threads: threads).solve(cost: cost)
        }
        mixed["solver"] = "sinkhorn (Float kernel)"
        results[p.name + "/f32-kernel"] = mixed
    case "sinkhorn_log":
        results[p.name] = time(p.name) {
            try Sinkhorn(reg: reg, maxIterations: iterations, stopThreshold: 0, domain: .log, threads: threads).solve(cost: cost)
        }
    default:
        fail("unknown problem kind \(p.kind)")
    }
}
let json = try JSONSerialization.data(withJSONObject: ["threads": threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                                        "results": results], options: [.sortedKeys])
print(String(decoding: json, as: UTF8.self))
