import CBLAS

// MARK: - Vectorised exponential and the log-sum-exp row kernels of the log-domain solver

extension Kernels {
    typealias V8 = SIMD8<Double>

    /// `exp(x)` lane-wise, within about 2 ulp of the correctly rounded value for
    /// `x ∈ [−745, 709.7]`; `0` below (including `−∞`). Cody–Waite reduction
    /// `x = k·ln2 + r`, `|r| <= ln2/2`, a degree-13 Taylor polynomial (truncation < 1e-17), and
    /// `2^k` built from exponent bits in two halves so that subnormal results are exact too.
    @inline(__always)
    static func exp(_ x: V8) -> V8 {
        let shifter = V8(repeating: 6_755_399_441_055_744.0)  // 1.5·2^52: rounds to an integer
        // Clamped by lane selects (`clamped(lowerBound:upperBound:)` is not inlined).
        let lo = V8(repeating: -745.5), hi = V8(repeating: 709.7)
        let xl = x.replacing(with: lo, where: x .< lo)
        let xc = xl.replacing(with: hi, where: xl .> hi)
        let t = xc * 1.4426950408889634 + shifter
        let kd = t - shifter
        let r = (xc - kd * 0.6931471803691238) - kd * 1.9082149292705877e-10
        var p = V8(repeating: 1.0 / 6_227_020_800)  // 1/13!
        p = p * r + 1.0 / 479_001_600
        p = p * r + 1.0 / 39_916_800
        p = p * r + 1.0 / 3_628_800
        p = p * r + 1.0 / 362_880
        p = p * r + 1.0 / 40_320
        p = p * r + 1.0 / 5_040
        p = p * r + 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        let k = unsafeBitCast(t, to: SIMD8<Int64>.self) &- unsafeBitCast(shifter, to: SIMD8<Int64>.self)
        let k1 = k &>> 1, k2 = k &- k1
        let s1 = unsafeBitCast((k1 &+ 1023) &<< 52, to: V8.self)
        let s2 = unsafeBitCast((k2 &+ 1023) &<< 52, to: V8.self)
        return (p * s1 * s2).replacing(with: 0, where: x .< -745.2)
    }

    /// Scalar `exp` through the vector path (lane 0), for loop tails.
    @inline(__always)
    static func exp(_ x: Double) -> Double { exp(V8(repeating: x))[0] }

    @inline(__always)
    static func load(_ p: UnsafePointer<Double>, _ k: Int) -> V8 {
        UnsafeRawPointer(p + k).loadUnaligned(as: V8.self)
    }

    @inline(__always)
    static func store(_ v: V8, _ p: UnsafeMutablePointer<Double>, _ k: Int) {
        UnsafeMutableRawPointer(p + k).storeBytes(of: v, as: V8.self)
    }

    /// `acc[j] = max(acc[j], c[j]·scale + s)` for `count` elements.
    static func maxInto(_ acc: UnsafeMutablePointer<Double>, _ c: UnsafePointer<Double>, scale: Double, add s: Double, _ count: Int) {
        var k = 0
        while k + 8 <= count {
            store(pointwiseMax(load(acc, k), load(c, k) * scale + s), acc, k)
            k += 8
        }
        while k < count { acc[k] = Swift.max(acc[k], c[k] * scale + s); k += 1 }
    }

    /// `max_j (c[j]·scale + w[j])`.
    static func rowMax(_ c: UnsafePointer<Double>, scale: Double, plus w: UnsafePointer<Double>, _ count: Int) -> Double {
        var m = V8(repeating: -.infinity)
        var k = 0
        while k + 8 <= count {
            m = pointwiseMax(m, load(c, k) * scale + load(w, k))
            k += 8
        }
        var result = m.max()
        while k < count { result = Swift.max(result, c[k] * scale + w[k]); k += 1 }
        return result
    }

    /// `Σ_j exp(c[j]·scale + s + w[j])`; with `out`, also stores each term in `out[j]` and adds
    /// it to `acc[j]`.
    static func expSum(_ c: UnsafePointer<Double>, scale: Double, add s: Double, plus w: UnsafePointer<Double>, _ count: Int,
                       out: UnsafeMutablePointer<Double>? = nil, acc: UnsafeMutablePointer<Double>? = nil) -> Double {
        var total = V8()
        var k = 0
        while k + 8 <= count {
            let e = exp(load(c, k) * scale + s + load(w, k))
            total += e
            if let out { store(e, out, k) }
            if let acc { store(load(acc, k) + e, acc, k) }
            k += 8
        }
        var result = total.sum()
        while k < count {
            let e = exp(c[k] * scale + s + w[k])
            result += e
            out?[k] = e
            acc?[k] += e
            k += 1
        }
        return result
    }
}

// MARK: - Shortest-path kernels of the assignment solver

extension Kernels {
    /// `min_j x[j]` (`+∞` for `count == 0`).
    static func minimum(_ x: UnsafePointer<Double>, _ count: Int) -> Double {
        #if arch(x86_64)
        switch vectorUnit {
        case .avx512: return transfuse_min_avx512(x, count)
        case .avx2: return transfuse_min_avx2(x, count)
        case .portable: break
        }
        #endif
        var m = V8(repeating: .infinity)
        var k = 0
        while k + 8 <= count { m = pointwiseMin(m, load(x, k)); k += 8 }
        var result = m.min()
        while k < count { result = Swift.min(result, x[k]); k += 1 }
        return result
    }

    /// Dijkstra relaxation through one row: `h[j] = row[j] − prices[j] − offset + blocked[j]`;
    /// where `h[j] < distance[j]`, `distance[j] = h[j]` and `pred[j] = rowIndex` (AVX-512F or
    /// AVX2 C kernel where available, the same arithmetic).
    static func relax(row: UnsafePointer<Double>, prices: UnsafePointer<Double>, blocked: UnsafePointer<Double>,
                      offset: Double, distance: UnsafeMutablePointer<Double>, pred: UnsafeMutablePointer<Int64>,
                      rowIndex: Int64, _ count: Int) {
        #if arch(x86_64)
        switch vectorUnit {
        case .avx512, .avx2:
            pred.withMemoryRebound(to: Int.self, capacity: count) { p in
                if vectorUnit == .avx512 {
                    transfuse_cap_relax_avx512(row, prices, blocked, offset, distance, p, Int(rowIndex), count)
                } else {
                    transfuse_cap_relax_avx2(row, prices, blocked, offset, distance, p, Int(rowIndex), count)
                }
            }
            return
        case .portable: break
        }
        #endif
        var k = 0
        let marker = SIMD8<Int64>(repeating: rowIndex)
        while k + 8 <= count {
            let h = load(row, k) - load(prices, k) - offset + load(blocked, k)
            let d = load(distance, k)
            let better = h .< d
            store(d.replacing(with: h, where: better), distance, k)
            let p = UnsafeMutableRawPointer(pred + k)
            p.storeBytes(of: p.loadUnaligned(as: SIMD8<Int64>.self).replacing(with: marker, where: better), as: SIMD8<Int64>.self)
            k += 8
        }
        while k < count {
            let h = row[k] - prices[k] - offset + blocked[k]
            if h < distance[k] { distance[k] = h; pred[k] = rowIndex }
            k += 1
        }
    }
}
