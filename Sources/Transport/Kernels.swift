import CBLAS
import Foundation

/// Vectorised inner loops shared by the Sinkhorn solvers (`SIMD8<Double>`), and the row
/// partitioning used to run them on several threads.
enum Kernels {
    /// `Σₖ x[k]·y[k]` for `count` elements.
    @inline(__always)
    static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ count: Int) -> Double {
        var s0 = SIMD8<Double>(), s1 = SIMD8<Double>()
        var k = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
        let stride = MemoryLayout<Double>.stride
        while k + 16 <= count {
            s0 += rx.loadUnaligned(fromByteOffset: k * stride, as: SIMD8<Double>.self)
                * ry.loadUnaligned(fromByteOffset: k * stride, as: SIMD8<Double>.self)
            s1 += rx.loadUnaligned(fromByteOffset: (k + 8) * stride, as: SIMD8<Double>.self)
                * ry.loadUnaligned(fromByteOffset: (k + 8) * stride, as: SIMD8<Double>.self)
            k += 16
        }
        var s = (s0 + s1).sum()
        while k < count { s += x[k] * y[k]; k += 1 }
        return s
    }

    /// `y[k] += alpha·x[k]` for `count` elements.
    @inline(__always)
    static func axpy(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ count: Int) {
        var k = 0
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let stride = MemoryLayout<Double>.stride
        let a = SIMD8<Double>(repeating: alpha)
        while k + 8 <= count {
            let yv = ry.loadUnaligned(fromByteOffset: k * stride, as: SIMD8<Double>.self)
            let xv = rx.loadUnaligned(fromByteOffset: k * stride, as: SIMD8<Double>.self)
            ry.storeBytes(of: yv + a * xv, toByteOffset: k * stride, as: SIMD8<Double>.self)
            k += 8
        }
        while k < count { y[k] += alpha * x[k]; k += 1 }
    }

    /// AVX2 + FMA available (x86-64): the double-precision Sinkhorn rows use the C kernels of
    /// the CBLAS shim, which Swift (compiling for baseline x86-64) cannot emit itself.
    #if arch(x86_64)
    static let hasAVX2: Bool = transfuse_has_avx2_fma() != 0 && ProcessInfo.processInfo.environment["TRANSFUSE_NO_AVX2"] == nil
    #endif

    /// Splits `0..<rows` into `parts` contiguous ranges (some may be empty).
    static func ranges(rows: Int, parts: Int) -> [Range<Int>] {
        (0..<parts).map { p in (rows * p / parts)..<(rows * (p + 1) / parts) }
    }

    /// Number of worker threads for a problem of `elements` entries: 1 below 64K entries.
    static func threadCount(requested: Int?, elements: Int) -> Int {
        if elements < 1 << 16 { return 1 }
        return Swift.max(1, requested ?? ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Runs `body(part)` for `part` in `0..<parts`, concurrently when `parts > 1`.
    /// Callers guarantee that parts write disjoint memory (their own rows and scratch), which is
    /// why the closure may be treated as `@Sendable`.
    static func parallel(_ parts: Int, _ body: (Int) -> Void) {
        if parts == 1 { body(0); return }
        withoutActuallyEscaping(body) { escapable in
            let sendable = unsafeBitCast(escapable, to: (@Sendable (Int) -> Void).self)
            DispatchQueue.concurrentPerform(iterations: parts, execute: sendable)
        }
    }
}

/// Per-thread scratch for the fused scaling pass: one accumulator of `cols` values per thread.
final class ScalingWorkspace {
    let threads: Int
    let rows: Int
    let cols: Int
    let ranges: [Range<Int>]
    var partial: [Double]

    init(rows: Int, cols: Int, threads: Int) {
        self.threads = threads
        self.rows = rows
        self.cols = cols
        self.ranges = Kernels.ranges(rows: rows, parts: threads)
        self.partial = [Double](repeating: 0, count: threads * cols)
    }

    /// One fused pass over the row-major kernel `k` (`rows × cols`):
    /// `u[i] = rowUpdate(i, k[i,:]·v)` for every row, and `ktu = kᵀ·u` with the new `u`.
    /// Reads `k` once; threads own disjoint row ranges and private `ktu` accumulators.
    func pass<E: KernelElement>(kernel k: UnsafePointer<E>, v: UnsafePointer<Double>,
                                u: UnsafeMutablePointer<Double>, ktu: UnsafeMutablePointer<Double>,
                                rowUpdate: (Int, Double) -> Double) {
        let cols = self.cols
        partial.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            Kernels.parallel(threads) { t in
                let acc = base + t * cols
                acc.initialize(repeating: 0, count: cols)
                for i in ranges[t] {
                    let row = k + i * cols
                    let ui = rowUpdate(i, E.dot(row, v, cols))
                    u[i] = ui
                    if ui != 0 { E.axpy(ui, row, acc, cols) }
                }
            }
            for j in 0..<cols { ktu[j] = base[j] }
            for t in 1..<Swift.max(threads, 1) {
                let acc = base + t * cols
                for j in 0..<cols { ktu[j] += acc[j] }
            }
        }
    }
}

/// Storage types of a Sinkhorn kernel: `Double`, or `Float` to halve the memory traffic
/// (products and sums are always accumulated in `Double`).
protocol KernelElement: BinaryFloatingPoint {
    /// `Σₖ x[k]·y[k]` in double precision.
    static func dot(_ x: UnsafePointer<Self>, _ y: UnsafePointer<Double>, _ count: Int) -> Double
    /// `y[k] += alpha·x[k]` in double precision.
    static func axpy(_ alpha: Double, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Double>, _ count: Int)
}

extension Double: KernelElement {
    @inline(__always)
    static func dot(_ x: UnsafePointer<Double>, _ y: UnsafePointer<Double>, _ count: Int) -> Double {
        #if arch(x86_64)
        if Kernels.hasAVX2 { return transfuse_dot_avx2(x, y, count) }
        #endif
        return Kernels.dot(x, y, count)
    }

    @inline(__always)
    static func axpy(_ alpha: Double, _ x: UnsafePointer<Double>, _ y: UnsafeMutablePointer<Double>, _ count: Int) {
        #if arch(x86_64)
        if Kernels.hasAVX2 { transfuse_axpy_avx2(alpha, x, y, count); return }
        #endif
        Kernels.axpy(alpha, x, y, count)
    }
}

extension Float: KernelElement {
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Double>, _ count: Int) -> Double {
        #if arch(x86_64)
        if Kernels.hasAVX2 { return transfuse_dot_f32_avx2(x, y, count) }
        #endif
        var s0 = SIMD8<Double>(), s1 = SIMD8<Double>()
        var k = 0
        while k + 16 <= count {
            let a = UnsafeRawPointer(x + k).loadUnaligned(as: SIMD16<Float>.self)
            s0 += SIMD8<Double>(a.lowHalf) * UnsafeRawPointer(y + k).loadUnaligned(as: SIMD8<Double>.self)
            s1 += SIMD8<Double>(a.highHalf) * UnsafeRawPointer(y + k + 8).loadUnaligned(as: SIMD8<Double>.self)
            k += 16
        }
        var s = (s0 + s1).sum()
        while k < count { s += Double(x[k]) * y[k]; k += 1 }
        return s
    }

    @inline(__always)
    static func axpy(_ alpha: Double, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Double>, _ count: Int) {
        #if arch(x86_64)
        if Kernels.hasAVX2 { transfuse_axpy_f32_avx2(alpha, x, y, count); return }
        #endif
        var k = 0
        let a = SIMD8<Double>(repeating: alpha)
        while k + 8 <= count {
            let xv = SIMD8<Double>(UnsafeRawPointer(x + k).loadUnaligned(as: SIMD8<Float>.self))
            let p = UnsafeMutableRawPointer(y + k)
            p.storeBytes(of: p.loadUnaligned(as: SIMD8<Double>.self) + a * xv, as: SIMD8<Double>.self)
            k += 8
        }
        while k < count { y[k] += alpha * Double(x[k]); k += 1 }
    }
}
