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

    /// `true` when every value is finite and `>= 0` (a vectorised pass; callers locate the
    /// offending entry with a scalar loop when it is `false`).
    static func allFiniteNonNegative(_ values: [Double]) -> Bool {
        allFinite(values, nonNegative: true)
    }

    /// `true` when every value is finite (and `>= 0` when `nonNegative`), eight lanes at a time:
    /// `x − x` is 0 for finite `x` and NaN for ±∞ and NaN, and NaN fails every comparison.
    static func allFinite(_ values: [Double], nonNegative: Bool = false) -> Bool {
        values.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress else { return true }
            let p = UnsafeRawPointer(base), count = buf.count
            let floor = SIMD8<Double>(repeating: nonNegative ? 0 : -.infinity)
            var ok = SIMDMask<SIMD8<Int64>>(repeating: true)
            var k = 0
            while k + 8 <= count {
                let x = p.loadUnaligned(fromByteOffset: k * 8, as: SIMD8<Double>.self)
                ok .&= (x - x) .== 0 .& (x .>= floor)
                k += 8
            }
            guard all(ok) else { return false }
            while k < count {
                let x = buf[k]
                if !x.isFinite || (nonNegative && !(x >= 0)) { return false }
                k += 1
            }
            return true
        }
    }

    /// The largest of `values` (`0` when empty), which must hold no NaN.
    static func maximum(_ values: [Double]) -> Double {
        values.withUnsafeBufferPointer { buf in
            guard let base = buf.baseAddress, !buf.isEmpty else { return 0 }
            let p = UnsafeRawPointer(base), count = buf.count
            var m = SIMD8<Double>(repeating: -.infinity)
            var k = 0
            while k + 8 <= count {
                let x = p.loadUnaligned(fromByteOffset: k * 8, as: SIMD8<Double>.self)
                m = m.replacing(with: x, where: x .> m)  // (pointwiseMax is not inlined)
                k += 8
            }
            var result = m.max()
            while k < count { result = Swift.max(result, buf[k]); k += 1 }
            return result
        }
    }

    /// AVX2 + FMA available (x86-64): the double-precision Sinkhorn rows use the C kernels of
    /// the CBLAS shim, which Swift (compiling for baseline x86-64) cannot emit itself.
    /// `TRANSFUSE_NO_AVX2` in the environment turns them (and AVX-512) off.
    #if arch(x86_64)
    static let hasAVX2: Bool = transfuse_has_avx2_fma() != 0 && ProcessInfo.processInfo.environment["TRANSFUSE_NO_AVX2"] == nil
    #endif

    /// The widest vector unit the four-row Sinkhorn kernels use on this machine.
    enum VectorUnit: CaseIterable, Sendable {
        case portable, avx2, avx512
    }

    /// AVX-512F when the CPU and OS have it (and neither `TRANSFUSE_NO_AVX512` nor
    /// `TRANSFUSE_NO_AVX2` is set), else AVX2 + FMA, else the portable Swift SIMD loops.
    static let vectorUnit: VectorUnit = {
        #if arch(x86_64)
        if !hasAVX2 { return .portable }
        if transfuse_has_avx512f() != 0, ProcessInfo.processInfo.environment["TRANSFUSE_NO_AVX512"] == nil { return .avx512 }
        return .avx2
        #else
        return .portable
        #endif
    }()

    /// The units this machine can run (for tests comparing them).
    static var availableVectorUnits: [VectorUnit] {
        VectorUnit.allCases.filter { $0 == .portable || ($0 == .avx2 && vectorUnit != .portable) || $0 == vectorUnit }
    }

    /// `out[r] = Σₖ k[r·ld + k]·v[k]` for the four rows `r = 0..<4` starting at `k` (row stride
    /// `ld`), `count` columns, with `unit` (which must be available).
    @inline(__always)
    static func dot4(_ unit: VectorUnit, _ k: UnsafePointer<Double>, _ ld: Int, _ v: UnsafePointer<Double>,
                     _ count: Int, _ out: UnsafeMutablePointer<Double>) {
        switch unit {
        #if arch(x86_64)
        case .avx512: transfuse_dot4_avx512(k, ld, v, count, out)
        case .avx2: transfuse_dot4_avx2(k, ld, v, count, out)
        #endif
        default:
            for r in 0..<4 { out[r] = dot(k + r * ld, v, count) }
        }
    }

    /// `acc[k] += Σᵣ a[r]·k[r·ld + k]` for the four rows `r = 0..<4` starting at `k`, with `unit`;
    /// the AVX-512 kernel also prefetches the first KiB of the four rows at `next`, if given.
    @inline(__always)
    static func axpy4(_ unit: VectorUnit, _ a: UnsafePointer<Double>, _ k: UnsafePointer<Double>, _ ld: Int,
                      _ acc: UnsafeMutablePointer<Double>, _ count: Int, next: UnsafePointer<Double>? = nil) {
        switch unit {
        #if arch(x86_64)
        case .avx512: transfuse_axpy4_avx512(a, k, ld, acc, count, next)
        case .avx2: transfuse_axpy4_avx2(a, k, ld, acc, count)
        #endif
        default:
            for r in 0..<4 { axpy(a[r], k + r * ld, acc, count) }
        }
    }

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

/// Scratch for the fused scaling pass. The rows are cut into blocks (one per thread when single
/// threaded, else 8 per thread) that the threads take one at a time, so a thread slowed down
/// by other work on the machine does not hold the others back; each block has its own
/// accumulator of `cols` values, summed in block order, so the result does not depend on which
/// thread took which block. Every other pass runs the blocks and their rows in reverse order:
/// the rows read last by one pass are still in the cache for the start of the next one.
/// The threads are a ``SpinTeam`` that lives as long as the workspace; the accumulators and a
/// copy of `v` are 64-byte aligned (``AlignedBuffer``).
final class ScalingWorkspace {
    let threads: Int
    let rows: Int
    let cols: Int
    let blocks: [Range<Int>]
    /// `blocks.count × cols` accumulators, block `b` at `b · cols`.
    let partial: AlignedBuffer<Double>
    /// The aligned copy of `v` the pass reads.
    private let vCopy: AlignedBuffer<Double>
    private let team: SpinTeam
    /// Next block to hand out during a pass (atomic counter shared by the threads).
    private let ticket: UnsafeMutablePointer<Int>
    private var reversed = false

    init(rows: Int, cols: Int, threads: Int) {
        self.threads = threads
        self.rows = rows
        self.cols = cols
        self.blocks = Kernels.ranges(rows: rows, parts: threads == 1 ? 1 : Swift.max(1, Swift.min(rows, 8 * threads)))
        self.partial = AlignedBuffer(zeroed: blocks.count * cols)
        self.vCopy = AlignedBuffer(zeroed: cols)
        self.team = SpinTeam(size: threads)
        self.ticket = .allocate(capacity: 1)
        ticket.initialize(to: 0)
    }

    deinit { ticket.deallocate() }

    /// One fused pass over the row-major kernel `k` (`rows × cols`):
    /// `u[i] = rowUpdate(i, k[i,:]·v)` for every row, and `ktu = kᵀ·u` with the new `u`.
    /// Reads `k` once; rows go four at a time through ``KernelElement/dot4`` and
    /// ``KernelElement/axpy4`` (rows whose `u` is 0 are left out of `ktu`). `ktu[j]` is the sum
    /// of the blocks' accumulators in block order, whatever the thread count of the team.
    func pass<E: KernelElement>(kernel k: UnsafePointer<E>, v vIn: UnsafePointer<Double>,
                                u: UnsafeMutablePointer<Double>, ktu: UnsafeMutablePointer<Double>,
                                rowUpdate: (Int, Double) -> Double) {
        let cols = self.cols, blockCount = blocks.count, reversed = self.reversed, blocks = self.blocks
        self.reversed.toggle()
        ticket.pointee = 0
        let ticket = self.ticket
        let base = partial.baseAddress
        let v = UnsafePointer(vCopy.baseAddress)
        vCopy.baseAddress.update(from: vIn, count: cols)
        team.run { _ in
            var sums = (0.0, 0.0, 0.0, 0.0), scales = (0.0, 0.0, 0.0, 0.0)
            func single(_ i: Int, _ acc: UnsafeMutablePointer<Double>) {
                let row = k + i * cols
                let ui = rowUpdate(i, E.dot(row, v, cols))
                u[i] = ui
                if ui != 0 { E.axpy(ui, row, acc, cols) }
            }
            func quad(_ i: Int, _ acc: UnsafeMutablePointer<Double>, next: UnsafePointer<E>?) {
                let row = k + i * cols
                withUnsafeMutableBytes(of: &sums) { s in
                    let s = s.baseAddress!.assumingMemoryBound(to: Double.self)
                    E.dot4(row, cols, v, cols, s)
                    withUnsafeMutableBytes(of: &scales) { w in
                        let w = w.baseAddress!.assumingMemoryBound(to: Double.self)
                        for r in 0..<4 { w[r] = rowUpdate(i + r, s[r]); u[i + r] = w[r] }
                        if w[0] != 0, w[1] != 0, w[2] != 0, w[3] != 0 {
                            // The second half of the rows first: the dot read it last, so it is
                            // still in L1 (2–6% per pass). Every accumulator still gets its four
                            // terms in row order, and `half` is a multiple of 16, so the
                            // vector/tail split of each column is unchanged.
                            let half = (cols / 2) & ~15
                            E.axpy4(w, row + half, cols, acc + half, cols - half, next: next)
                            if half > 0 { E.axpy4(w, row, cols, acc, half, next: nil) }
                        } else {
                            for r in 0..<4 where w[r] != 0 { E.axpy(w[r], row + r * cols, acc, cols) }
                        }
                    }
                }
            }
            while true {
                let t = transfuse_fetch_increment(ticket)
                if t >= blockCount { break }
                let b = reversed ? blockCount - 1 - t : t
                let acc = base + b * cols
                acc.update(repeating: 0, count: cols)
                let range = blocks[b]
                let quads = range.count / 4
                let tail = (range.lowerBound + 4 * quads)..<range.upperBound
                if reversed {
                    for i in tail.reversed() { single(i, acc) }
                    for q in stride(from: quads - 1, through: 0, by: -1) {
                        quad(range.lowerBound + 4 * q, acc, next: q > 0 ? k + (range.lowerBound + 4 * (q - 1)) * cols : nil)
                    }
                } else {
                    for q in 0..<quads {
                        quad(range.lowerBound + 4 * q, acc, next: q + 1 < quads ? k + (range.lowerBound + 4 * (q + 1)) * cols : nil)
                    }
                    for i in tail { single(i, acc) }
                }
            }
        }
        // ktu = Σ_b partial[b] in block order, each member summing its own slice of the columns.
        let slices = Kernels.ranges(rows: cols, parts: threads)
        team.run { member in
            let slice = slices[member]
            guard !slice.isEmpty else { return }
            let out = ktu + slice.lowerBound, count = slice.count
            out.update(from: base + slice.lowerBound, count: count)
            for b in 1..<Swift.max(blockCount, 1) {
                Kernels.axpy(1, base + b * cols + slice.lowerBound, out, count)
            }
        }
    }
}

/// Storage types of a Sinkhorn kernel: `Double`, or `Float` to halve the memory traffic
/// (products and sums are always accumulated in `Double`).
protocol KernelElement: BinaryFloatingPoint, BitwiseCopyable {
    /// `Σₖ x[k]·y[k]` in double precision.
    static func dot(_ x: UnsafePointer<Self>, _ y: UnsafePointer<Double>, _ count: Int) -> Double
    /// `y[k] += alpha·x[k]` in double precision.
    static func axpy(_ alpha: Double, _ x: UnsafePointer<Self>, _ y: UnsafeMutablePointer<Double>, _ count: Int)
    /// `out[r] = Σₖ x[r·ld + k]·y[k]` for the four rows `r = 0..<4` starting at `x`.
    static func dot4(_ x: UnsafePointer<Self>, _ ld: Int, _ y: UnsafePointer<Double>, _ count: Int,
                     _ out: UnsafeMutablePointer<Double>)
    /// `y[k] += Σᵣ alpha[r]·x[r·ld + k]` for the four rows `r = 0..<4` starting at `x`; `next`,
    /// when given, is where the next four rows start (a prefetch hint, never read as data).
    static func axpy4(_ alpha: UnsafePointer<Double>, _ x: UnsafePointer<Self>, _ ld: Int,
                      _ y: UnsafeMutablePointer<Double>, _ count: Int, next: UnsafePointer<Self>?)
    /// `out[k] = exp(x[k] / divisor)` rounded to `Self`: AVX-512 lanes within 2 ulp of the
    /// correctly rounded value where available, else the C library's `exp`.
    static func expQuotient(_ x: UnsafePointer<Double>, divisor: Double, into out: UnsafeMutablePointer<Self>, _ count: Int)
}

extension KernelElement {
    /// Four single-row dots.
    @inline(__always)
    static func dot4(_ x: UnsafePointer<Self>, _ ld: Int, _ y: UnsafePointer<Double>, _ count: Int,
                     _ out: UnsafeMutablePointer<Double>) {
        for r in 0..<4 { out[r] = dot(x + r * ld, y, count) }
    }

    /// Four single-row axpys.
    @inline(__always)
    static func axpy4(_ alpha: UnsafePointer<Double>, _ x: UnsafePointer<Self>, _ ld: Int,
                      _ y: UnsafeMutablePointer<Double>, _ count: Int, next: UnsafePointer<Self>?) {
        for r in 0..<4 { axpy(alpha[r], x + r * ld, y, count) }
    }

    /// ``axpy4(_:_:_:_:_:next:)`` without a prefetch hint.
    @inline(__always)
    static func axpy4(_ alpha: UnsafePointer<Double>, _ x: UnsafePointer<Self>, _ ld: Int,
                      _ y: UnsafeMutablePointer<Double>, _ count: Int) {
        axpy4(alpha, x, ld, y, count, next: nil)
    }
}

extension Double: KernelElement {
    @inline(__always)
    static func expQuotient(_ x: UnsafePointer<Double>, divisor: Double, into out: UnsafeMutablePointer<Double>, _ count: Int) {
        #if arch(x86_64)
        if Kernels.vectorUnit == .avx512 { transfuse_exp_quotient_avx512(x, divisor, out, count); return }
        #endif
        for k in 0..<count { out[k] = Foundation.exp(x[k] / divisor) }
    }

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

    @inline(__always)
    static func dot4(_ x: UnsafePointer<Double>, _ ld: Int, _ y: UnsafePointer<Double>, _ count: Int,
                     _ out: UnsafeMutablePointer<Double>) {
        Kernels.dot4(Kernels.vectorUnit, x, ld, y, count, out)
    }

    @inline(__always)
    static func axpy4(_ alpha: UnsafePointer<Double>, _ x: UnsafePointer<Double>, _ ld: Int,
                      _ y: UnsafeMutablePointer<Double>, _ count: Int, next: UnsafePointer<Double>?) {
        Kernels.axpy4(Kernels.vectorUnit, alpha, x, ld, y, count, next: next)
    }
}

extension Float: KernelElement {
    @inline(__always)
    static func expQuotient(_ x: UnsafePointer<Double>, divisor: Double, into out: UnsafeMutablePointer<Float>, _ count: Int) {
        #if arch(x86_64)
        if Kernels.vectorUnit == .avx512 { transfuse_exp_quotient_f32_avx512(x, divisor, out, count); return }
        #endif
        for k in 0..<count { out[k] = Float(Foundation.exp(x[k] / divisor)) }
    }

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

    @inline(__always)
    static func dot4(_ x: UnsafePointer<Float>, _ ld: Int, _ y: UnsafePointer<Double>, _ count: Int,
                     _ out: UnsafeMutablePointer<Double>) {
        #if arch(x86_64)
        if Kernels.vectorUnit == .avx512 { transfuse_dot4_f32_avx512(x, ld, y, count, out); return }
        #endif
        for r in 0..<4 { out[r] = dot(x + r * ld, y, count) }
    }

    @inline(__always)
    static func axpy4(_ alpha: UnsafePointer<Double>, _ x: UnsafePointer<Float>, _ ld: Int,
                      _ y: UnsafeMutablePointer<Double>, _ count: Int, next: UnsafePointer<Float>?) {
        #if arch(x86_64)
        if Kernels.vectorUnit == .avx512 { transfuse_axpy4_f32_avx512(alpha, x, ld, y, count, next); return }
        #endif
        for r in 0..<4 { axpy(alpha[r], x + r * ld, y, count) }
    }
}

/// Runs `body` on consecutive bands of `0..<rows`, one per core and concurrently (a single band
/// below 64K `elements` of work); bands must write disjoint memory.
public func forEachBand(rows: Int, elements: Int, _ body: (Range<Int>) -> Void) {
    guard rows > 0 else { return }
    let parts = Swift.min(Kernels.threadCount(requested: nil, elements: elements), rows)
    let bands = Kernels.ranges(rows: rows, parts: parts)
    Kernels.parallel(parts) { body(bands[$0]) }
}
