import Foundation
import HDF5Kit
import Testing

/// `transfuse ot` on cost matrices written with HDF5Kit. The expected optimal costs are
/// computed independently here (all permutations of a small problem, or a known optimum).
@Suite struct OTCommandTests {
    /// Writes `values` (row-major, `rows × cols`) as a float64 dataset.
    func writeCost(_ path: String, _ name: String, rows: Int, cols: Int, _ values: [Double]) throws {
        let file = try HDF5File.create(path)
        try file.root().createDataset(name, type: HDF5Datatype.native(.float64), shape: [rows, cols]).write(values)
    }

    func json(_ result: CommandRunner.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func emdFindsTheOptimalAssignment() throws {
        let folder = try TemporaryFolder()
        // 4×4 costs; the optimum over all 24 permutations, by brute force.
        let cost: [Double] = [4, 1, 3, 2,  2, 0, 5, 3,  3, 2, 2, 1,  1, 3, 4, 2]
        try writeCost(folder.file("c.h5"), "C", rows: 4, cols: 4, cost)
        func permutations(_ items: [Int]) -> [[Int]] {
            items.count <= 1 ? [items] : items.flatMap { x in permutations(items.filter { $0 != x }).map { [x] + $0 } }
        }
        let best = permutations([0, 1, 2, 3]).map { p in p.enumerated().map { cost[$0.offset * 4 + $0.element] }.reduce(0, +) }.min()!
        let result = try CommandRunner.run(["ot", folder.file("c.h5"), "--dataset", "C", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let out = try json(result)
        #expect(abs((out["cost"] as? Double ?? -1) - best / 4) < 1e-12)
        #expect(out["solver"] as? String != nil && out["seconds"] != nil && out["iterations"] != nil)
        #expect((out["marginal_error"] as? Double ?? 1) < 1e-12)
    }

    @Test("--precision mixed and --threads give the double-precision plan to 1e-6 of its largest entry; --domain log solves where the kernel underflows")
    func sinkhornOptions() throws {
        let folder = try TemporaryFolder()
        let n = 300, m = 260  // 78,000 entries: large enough to split over threads
        let cost: [Double] = (0..<(n * m)).map { k in Double((k * 7919) % 1000) / 1000 }
        try writeCost(folder.file("c.h5"), "C", rows: n, cols: m, cost)
        func plan(_ extra: [String]) throws -> (plan: [Double], json: [String: Any]) {
            let out = folder.file("plan-\(extra.joined(separator: "-")).h5")
            let result = try CommandRunner.run(["ot", folder.file("c.h5"), "--solver", "sinkhorn", "--reg", "0.05",
                                                "--output", out, "--force", "--json"] + extra)
            #expect(result.status == 0, "\(result.stderr)")
            let p: [Double] = try HDF5File.openReadOnly(out).root().openDataset("plan").read()
            return (p, try json(result))
        }
        let double = try plan([])
        #expect(double.json["precision"] as? String == "double")
        let largest = try #require(double.plan.max())
        for extra in [["--precision", "mixed"], ["--threads", "1"], ["--threads", "2", "--precision", "mixed"]] {
            let other = try plan(extra)
            let worst = zip(double.plan, other.plan).map { abs($0 - $1) }.max() ?? 1
            #expect(worst <= 1e-6 * largest, "\(extra): \(worst)")
        }
        #expect(try plan(["--precision", "mixed"]).json["precision"] as? String == "mixed")
        // reg 1e-4: exp(-C/reg) underflows for all but the cheapest entries of each row.
        let log = try CommandRunner.run(["ot", folder.file("c.h5"), "--solver", "sinkhorn", "--reg", "1e-4",
                                         "--domain", "log", "--max-iter", "50", "--json"])
        #expect(log.status == 0, "\(log.stderr)")
        let report = try json(log)
        #expect(report["solver"] as? String == "sinkhorn-log")
        #expect((report["cost"] as? Double).map { $0.isFinite } == true)
    }

    @Test("Sinkhorn-only options with --solver emd, a bad --precision or --threads 0 are usage errors")
    func sinkhornOptionErrors() throws {
        let folder = try TemporaryFolder()
        try writeCost(folder.file("c.h5"), "C", rows: 2, cols: 2, [0, 1, 1, 0])
        for args in [["--precision", "mixed"], ["--solver", "sinkhorn", "--precision", "half"],
                     ["--solver", "sinkhorn", "--threads", "0"], ["--domain", "log"]] {
            let result = try CommandRunner.run(["ot", folder.file("c.h5")] + args)
            #expect(result.status == 64, "\(args): \(result.status) \(result.stderr)")
        }
    }

    @Test func sinkhornWritesAPlanWithTheRightMarginals() throws {
        let folder = try TemporaryFolder()
        let cost: [Double] = (0..<12).map { Double(($0 * 7) % 5) / 4 }
        try writeCost(folder.file("c.h5"), "C", rows: 3, cols: 4, cost)
        let result = try CommandRunner.run(["ot", folder.file("c.h5"), "--solver", "sinkhorn", "--reg", "0.5",
                                            "--output", folder.file("plan.h5"), "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let plan: [Double] = try HDF5File.openReadOnly(folder.file("plan.h5")).root().openDataset("plan").read()
        #expect(plan.count == 12 && plan.allSatisfy { $0 >= 0 })
        for column in 0..<4 {
            let sum = (0..<3).map { plan[$0 * 4 + column] }.reduce(0, +)
            #expect(abs(sum - 0.25) < 1e-8)
        }
        let total = zip(plan, cost).map(*).reduce(0, +)
        #expect(abs((try json(result)["cost"] as? Double ?? -1) - total) < 1e-12)
    }

    @Test(arguments: [
        ([1.0, .nan, 0, 1], "NaN"),
        ([1.0, -2, 0, 1], "negative"),
    ])
    func badCostsAreRefused(values: [Double], word: String) throws {
        let folder = try TemporaryFolder()
        try writeCost(folder.file("c.h5"), "C", rows: 2, cols: 2, values)
        let result = try CommandRunner.run(["ot", folder.file("c.h5"), "--output", folder.file("plan.h5")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("c.h5"))
        #expect(result.stderr.lowercased().contains(word.lowercased()), "\(result.stderr)")
        #expect(folder.contents == ["c.h5"])
    }

    @Test func missingDatasetNamesTheFile() throws {
        let folder = try TemporaryFolder()
        try writeCost(folder.file("c.h5"), "C", rows: 2, cols: 2, [0, 1, 1, 0])
        let result = try CommandRunner.run(["ot", folder.file("c.h5"), "--dataset", "nope"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("c.h5") && result.stderr.contains("nope"))
    }

    /// The CPU's flags from /proc/cpuinfo (empty where there is none).
    func cpuFlags() -> Set<Substring> {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        return Set(line.split(separator: " "))
    }

    @Test("on a CPU with AVX2 and FMA the binary never computes with OpenBLAS's pre-AVX2 kernels (it restarts itself with better ones when OpenBLAS did not recognise the CPU); a user's OPENBLAS_CORETYPE is obeyed")
    func blasKernelsSuitTheCPU() throws {
        let folder = try TemporaryFolder()
        try writeCost(folder.file("c.h5"), "C", rows: 3, cols: 3, [0, 1, 2, 1, 0, 2, 2, 1, 0])
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_CORETYPE"] = nil
        environment["TRANSFUSE_BLAS_RESTARTED"] = nil
        let detected = try CommandRunner.run(["ot", folder.file("c.h5"), "--dataset", "C", "--json"], environment: environment)
        #expect(detected.status == 0, "\(detected.stderr)")
        let kernels = try #require(try json(detected)["blas_kernels"] as? String)
        let flags = cpuFlags()
        if flags.contains("avx2") && flags.contains("fma") {
            let old = ["katmai", "coppermine", "northwood", "prescott", "banias", "core2", "penryn", "dunnington", "nehalem", "atom", "sandybridge"]
            #expect(!old.contains(kernels.lowercased()), "OpenBLAS runs \(kernels) kernels on a CPU with AVX2")
        }
        #if arch(x86_64)  // Debian's OpenBLAS has every x86-64 kernel set; a user's choice wins
        environment["OPENBLAS_CORETYPE"] = "Prescott"
        let forced = try CommandRunner.run(["ot", folder.file("c.h5"), "--dataset", "C", "--json"], environment: environment)
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try json(forced)["blas_kernels"] as? String == "Prescott")
        #expect(abs((try json(forced)["cost"] as? Double ?? -1) - 0) < 1e-15)
        #endif
    }
}
