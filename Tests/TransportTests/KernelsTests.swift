import Foundation
import Testing
import TestSupport
@testable import Transport

@Suite("Vector kernels")
struct KernelsTests {
    @Test("vector exp is within 4 ulp of libm's over the whole range, 0 below it")
    func expAccuracy() {
        var rng = SplitMix64(seed: 21)
        var worst = 0.0
        for _ in 0..<20_000 {
            let x = Double.random(in: -708..<709, using: &rng)
            let want = Foundation.exp(x), got = Kernels.exp(x)
            worst = max(worst, abs(got - want) / want)
        }
        for x in stride(from: -1.0, through: 1.0, by: 1.0 / 1024) {
            let want = Foundation.exp(x)
            worst = max(worst, abs(Kernels.exp(x) - want) / want)
        }
        #expect(worst <= 4 * Double.ulpOfOne, "worst relative error \(worst)")
        for x in stride(from: -745.0, through: -708.0, by: 0.37) {  // subnormal results
            #expect(abs(Kernels.exp(x) - Foundation.exp(x)) <= 2024 * Double.leastNonzeroMagnitude)  // 1e-320
        }
        #expect(Kernels.exp(-Double.infinity) == 0)
        #expect(Kernels.exp(-800) == 0)
        #expect(Kernels.exp(0) == 1)
    }

    @Test("dot, axpy and the log-sum-exp helpers agree with plain loops on every length 0..40")
    func helpers() {
        var rng = SplitMix64(seed: 22)
        for count in 0...40 {
            let x = (0..<count).map { _ in Double.random(in: -1..<1, using: &rng) }
            let y = (0..<count).map { _ in Double.random(in: -1..<1, using: &rng) }
            let dot = Kernels.dot(x, y, count)
            #expect(abs(dot - zip(x, y).reduce(0) { $0 + $1.0 * $1.1 }) <= 1e-14)
            var acc = y
            acc.withUnsafeMutableBufferPointer { Kernels.axpy(0.5, x, $0.baseAddress!, count) }
            for k in 0..<count { #expect(abs(acc[k] - (y[k] + 0.5 * x[k])) <= 1e-15) }
            let mx = Kernels.rowMax(x, scale: -2, plus: y, count)
            #expect(mx == (count == 0 ? -.infinity : zip(x, y).map { $0.0 * -2 + $0.1 }.max()!))
            let s = Kernels.expSum(x, scale: -2, add: 0.25, plus: y, count)
            let want = zip(x, y).reduce(0) { $0 + Foundation.exp($1.0 * -2 + 0.25 + $1.1) }
            #expect(abs(s - want) <= 1e-14 * max(want, 1))
        }
    }

    @Test("the row kernels used by Sinkhorn (AVX2 where available) agree with the portable ones, Double and Float")
    func dispatchedKernels() {
        var rng = SplitMix64(seed: 23)
        for count in [0, 1, 3, 7, 8, 9, 15, 16, 17, 31, 64, 100, 1001] {
            let x = (0..<count).map { _ in Double.random(in: 0..<1, using: &rng) }
            let y = (0..<count).map { _ in Double.random(in: 0..<1, using: &rng) }
            let xf = x.map { Float($0) }
            #expect(abs(Double.dot(x, y, count) - Kernels.dot(x, y, count)) <= 1e-13)
            let wantF = zip(xf, y).reduce(0) { $0 + Double($1.0) * $1.1 }
            #expect(abs(Float.dot(xf, y, count) - wantF) <= 1e-13)
            var a1 = y, a2 = y, a3 = y
            a1.withUnsafeMutableBufferPointer { Double.axpy(0.75, x, $0.baseAddress!, count) }
            a2.withUnsafeMutableBufferPointer { Kernels.axpy(0.75, x, $0.baseAddress!, count) }
            a3.withUnsafeMutableBufferPointer { Float.axpy(0.75, xf, $0.baseAddress!, count) }
            for k in 0..<count {
                #expect(abs(a1[k] - a2[k]) <= 1e-15)
                #expect(abs(a3[k] - (y[k] + 0.75 * Double(xf[k]))) <= 1e-15)
            }
        }
    }

    @Test("four-row dot and axpy agree with four single-row ones on every vector unit, every length 0..40 and a long row")
    func fourRowKernels() {
        var rng = SplitMix64(seed: 24)
        for count in Array(0...40) + [1001] {
            let ld = count + 3
            let k = (0..<(4 * ld)).map { _ in Double.random(in: 0..<1, using: &rng) }
            let v = (0..<count).map { _ in Double.random(in: 0..<1, using: &rng) }
            let acc0 = (0..<count).map { _ in Double.random(in: 0..<1, using: &rng) }
            let alpha = [0.5, -1.25, 2.0, 0.125]
            k.withUnsafeBufferPointer { kp in
                let wantDots = (0..<4).map { r in (0..<count).reduce(0.0) { $0 + kp[r * ld + $1] * v[$1] } }
                let wantAcc = (0..<count).map { j in (0..<4).reduce(acc0[j]) { $0 + alpha[$1] * kp[$1 * ld + j] } }
                for unit in Kernels.availableVectorUnits {
                    var dots = [Double](repeating: .nan, count: 4)
                    dots.withUnsafeMutableBufferPointer { Kernels.dot4(unit, kp.baseAddress!, ld, v, count, $0.baseAddress!) }
                    for r in 0..<4 { #expect(abs(dots[r] - wantDots[r]) <= 1e-12, "\(unit) count \(count) row \(r)") }
                    var acc = acc0
                    acc.withUnsafeMutableBufferPointer { Kernels.axpy4(unit, alpha, kp.baseAddress!, ld, $0.baseAddress!, count) }
                    for j in 0..<count { #expect(abs(acc[j] - wantAcc[j]) <= 1e-13, "\(unit) count \(count) column \(j)") }
                }
            }
            // The Float kernel's four-row kernels (AVX-512F where available) against its single-row ones.
            let kf = k.map { Float($0) }
            kf.withUnsafeBufferPointer { kp in
                var dots = [Double](repeating: .nan, count: 4)
                dots.withUnsafeMutableBufferPointer { Float.dot4(kp.baseAddress!, ld, v, count, $0.baseAddress!) }
                for r in 0..<4 { #expect(abs(dots[r] - Float.dot(kp.baseAddress! + r * ld, v, count)) <= 1e-12, "Float count \(count)") }
                var acc = acc0, want = acc0
                acc.withUnsafeMutableBufferPointer { Float.axpy4(alpha, kp.baseAddress!, ld, $0.baseAddress!, count) }
                want.withUnsafeMutableBufferPointer { w in for r in 0..<4 { Float.axpy(alpha[r], kp.baseAddress! + r * ld, w.baseAddress!, count) } }
                for j in 0..<count { #expect(abs(acc[j] - want[j]) <= 1e-13, "Float count \(count) column \(j)") }
            }
        }
    }

    @Test("assignment relaxation, two-smallest, minimum and first-equal scans: every vector unit equals the scalar loop exactly, ties included")
    func assignmentKernels() {
        var rng = SplitMix64(seed: 25)
        for count in [2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 100, 1001] {
            for levels in [2, 3, 1_000_000] {
                // Few distinct values: many exact ties, as in the solver's reduced costs.
                let c = (0..<count).map { _ in Double(Int.random(in: 0..<levels, using: &rng)) / Double(levels) }
                let v = (0..<count).map { _ in Double(Int.random(in: 0..<levels, using: &rng)) / Double(2 * levels) }
                let d0 = (0..<count).map { j -> Double in
                    j % 5 == 0 ? -.infinity : Double(Int.random(in: 0..<levels, using: &rng)) / Double(levels)
                }
                let u1 = -0.25, target = c[count / 2] - v[count / 2] - u1
                // The scalar definitions.
                var wantD = d0, wantPred = [Int](repeating: -1, count: count), wantHits = [Int]()
                for j in 0..<count {
                    let h = c[j] - v[j] - u1
                    if h < wantD[j] { wantD[j] = h; wantPred[j] = 7; if h == target { wantHits.append(j) } }
                }
                var umin = c[0] - v[0], j1 = 0, usub = Double.infinity, j2 = -1
                for j in 1..<count {
                    let h = c[j] - v[j]
                    if h < usub { if h >= umin { usub = h; j2 = j } else { usub = umin; umin = h; j2 = j1; j1 = j } }
                }
                for unit in Kernels.availableVectorUnits {
                    var d = d0, pred = [Int](repeating: -1, count: count), hits = [Int](repeating: -1, count: count)
                    let found = d.withUnsafeMutableBufferPointer { dp in
                        pred.withUnsafeMutableBufferPointer { pp in
                            hits.withUnsafeMutableBufferPointer { hp in
                                Kernels.relax(unit, c: c, v: v, d: dp.baseAddress!, pred: pp.baseAddress!, row: 7,
                                              u1: u1, target: target, hits: hp.baseAddress!, count: count)
                            }
                        }
                    }
                    #expect(d == wantD && pred == wantPred, "\(unit) count \(count) levels \(levels)")
                    #expect(Array(hits.prefix(found)) == wantHits, "\(unit) count \(count) levels \(levels)")
                    if unit == Kernels.vectorUnit {  // the capacitated solver's kernels use the machine's unit
                        #expect(Kernels.minimum(c, count) == c.min()!)
                        #expect(Kernels.firstIndex(of: target, in: d0, from: 1, to: count) == (1..<count).first { d0[$0] == target } ?? -1)
                        var distance = d0.map { $0 == -.infinity ? 0.5 : $0 }, want = distance
                        var p1 = [Int64](repeating: -1, count: count), p2 = p1
                        let blocked = (0..<count).map { $0 % 3 == 0 ? Double.infinity : 0 }
                        for j in 0..<count {
                            let h = c[j] - v[j] - u1 + blocked[j]
                            if h < want[j] { want[j] = h; p2[j] = 9 }
                        }
                        distance.withUnsafeMutableBufferPointer { dp in
                            p1.withUnsafeMutableBufferPointer { pp in
                                Kernels.relax(row: c, prices: v, blocked: blocked, offset: u1, distance: dp.baseAddress!,
                                              pred: pp.baseAddress!, rowIndex: 9, count)
                            }
                        }
                        #expect(distance == want && p1 == p2, "capacitated relax, count \(count)")
                    }
                    let two = Kernels.twoSmallest(unit, c: c, v: v, count: count)
                    #expect(two.umin == umin && two.first == j1 && two.usub == usub && two.second == j2,
                            "\(unit) count \(count) levels \(levels): \(two) vs \((umin, j1, usub, j2))")
                }
            }
        }
    }
}
