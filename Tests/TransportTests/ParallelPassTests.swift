import Foundation
import Testing
import TestSupport
@testable import Transport

/// The pieces of the parallel Sinkhorn pass: the spinning thread team, aligned storage, the
/// vectorised kernel exponential and the cost check.
@Suite("Parallel pass support")
struct ParallelPassTests {
    @Test("a team runs every member exactly once per step, 5,000 steps in a row, and each step sees the writes made before it", arguments: [1, 2, 3])
    func teamSteps(size: Int) {
        let team = SpinTeam(size: size)
        // `values` is written only between steps (by this thread), read by every member during a
        // step; `runs[m]` and `seen[m]` are written only by member m. No location is shared by a
        // writer and another thread within a step (ThreadSanitizer-clean).
        let values = UnsafeMutablePointer<Int>.allocate(capacity: size)
        let runs = UnsafeMutablePointer<Int>.allocate(capacity: size)
        let seen = UnsafeMutablePointer<Int>.allocate(capacity: size)
        values.initialize(repeating: 0, count: size)
        runs.initialize(repeating: 0, count: size)
        seen.initialize(repeating: 0, count: size)
        defer { values.deallocate(); runs.deallocate(); seen.deallocate() }
        var stale = 0
        for step in 1...5_000 {
            for m in 0..<size { values[m] = step }
            team.run { member in
                runs[member] += 1
                seen[member] = (0..<size).allSatisfy { values[$0] == step } ? step : -step
            }
            for m in 0..<size where seen[m] != step { stale += 1 }
        }
        for member in 0..<size { #expect(runs[member] == 5_000, "member \(member)") }
        #expect(stale == 0, "\(stale) member-steps saw values from before the step")
    }

    @Test("teams are started and stopped cleanly many times (threads exit, nothing leaks into the next team)")
    func teamLifecycle() {
        var total = 0
        for _ in 0..<200 {
            let team = SpinTeam(size: 2)
            let counts = UnsafeMutablePointer<Int>.allocate(capacity: 2)
            counts.initialize(repeating: 0, count: 2)
            for _ in 0..<5 { team.run { counts[$0] += 1 } }
            total += counts[0] + counts[1]
            counts.deallocate()
        }
        #expect(total == 200 * 5 * 2)
    }

    @Test("aligned buffers start on 64 bytes, on 2 MiB from 4 MiB up, and zeroed ones are zero")
    func alignment() {
        for count in [0, 1, 7, 1000, 1 << 19, 3 << 20] {
            let buffer = AlignedBuffer<Double>(zeroed: count)
            let address = UInt(bitPattern: buffer.baseAddress)
            #expect(address % 64 == 0)
            if count * 8 >= 4 << 20 { #expect(address % (2 << 20) == 0) }
            #expect((0..<count).allSatisfy { buffer[$0] == 0 })
        }
    }

    @Test("the kernel exponential exp(x / divisor) is within 2 ulp of libm's, 0 where it underflows, on every length 0..40 and 10,000 random costs")
    func kernelExp() {
        var rng = SplitMix64(seed: 31)
        for (count, divisor) in (0...40).map({ ($0, -0.05) }) + [(10_000, -0.05), (10_000, -0.001), (10_000, -3.0)] {
            let x = (0..<count).map { _ in Double.random(in: 0..<1, using: &rng) }
            var out = [Double](repeating: .nan, count: count)
            var outF = [Float](repeating: .nan, count: count)
            out.withUnsafeMutableBufferPointer { Double.expQuotient(x, divisor: divisor, into: $0.baseAddress!, count) }
            outF.withUnsafeMutableBufferPointer { Float.expQuotient(x, divisor: divisor, into: $0.baseAddress!, count) }
            for k in 0..<count {
                let want = Foundation.exp(x[k] / divisor)
                if want >= Double.leastNormalMagnitude {
                    #expect(abs(out[k] - want) <= 2 * want.ulp, "x \(x[k]) / \(divisor): \(out[k]) vs \(want)")
                } else {
                    #expect(abs(out[k] - want) <= 2024 * Double.leastNonzeroMagnitude)  // 1e-320
                }
                #expect(abs(Double(outF[k]) - Double(Float(want))) <= Double(Float(want).ulp), "Float lane \(k)")
            }
        }
        var huge = [Double](repeating: 0, count: 9)
        let below = [Double](repeating: 800, count: 9)
        huge.withUnsafeMutableBufferPointer { Double.expQuotient(below, divisor: -1, into: $0.baseAddress!, 9) }
        #expect(huge.allSatisfy { $0 == 0 })
    }

    @Test("the vectorised cost check finds NaN, ±∞ and negative entries at every position of short and long inputs")
    func costCheck() {
        for count in [1, 7, 8, 9, 17, 100] {
            #expect(Kernels.allFiniteNonNegative([Double](repeating: 0.5, count: count)))
            for bad in [Double.nan, .infinity, -.infinity, -1e-300] {
                for k in 0..<count {
                    var values = [Double](repeating: 0.5, count: count)
                    values[k] = bad
                    #expect(!Kernels.allFiniteNonNegative(values), "\(bad) at \(k) of \(count)")
                }
            }
        }
    }
}
