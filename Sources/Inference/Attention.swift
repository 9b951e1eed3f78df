import Foundation

/// Scaled dot-product attention over heads laid side by side in the columns.
enum Attention {
    /// `softmax(Q_h K_hᵀ / √d + mask) · V_h` for every sample and head.
    /// - Parameters:
    ///   - q, k, v: `[samples·tokens, heads·d]`, head `h` in columns `h·d ..< (h+1)·d`.
    ///   - keyMask: optional additive mask `[samples·tokens]` added to the score of each key
    ///     (0 for tokens to attend to, a large negative number for padding).
    /// - Returns: the context `[samples·tokens, heads·d]`.
    /// - Complexity: two `sgemm` per (sample, head), run concurrently with OpenBLAS held to one
    ///   thread so the cores are not oversubscribed.
    static func context(q: [Float], k: [Float], v: [Float], keyMask: [Float]?,
                        samples: Int, tokens: Int, heads: Int) -> [Float] {
        guard !q.isEmpty, heads > 0 else { return q }
        let width = q.count / max(1, samples * tokens)
        let d = width / heads
        let scale = 1 / Float(d).squareRoot()
        var out = [Float](repeating: 0, count: q.count)
        q.withUnsafeBufferPointer { qp in
        k.withUnsafeBufferPointer { kp in
        v.withUnsafeBufferPointer { vp in
        out.withUnsafeMutableBufferPointer { op in
            let qb = SharedPointer(UnsafeMutablePointer(mutating: qp.baseAddress!))
            let kb = SharedPointer(UnsafeMutablePointer(mutating: kp.baseAddress!))
            let vb = SharedPointer(UnsafeMutablePointer(mutating: vp.baseAddress!))
            let ob = SharedPointer(op.baseAddress!)
            let mask = keyMask
            let jobs = samples * heads
            let workers = max(1, min(jobs, BLAS.threads))
            let perWorker = (jobs + workers - 1) / workers
            BLAS.singleThreaded {
                DispatchQueue.concurrentPerform(iterations: workers) { w in
                    var scores = [Float](repeating: 0, count: tokens * tokens)
                    scores.withUnsafeMutableBufferPointer { sp in
                        let s = sp.baseAddress!
                        for job in (w * perWorker)..<min(jobs, (w + 1) * perWorker) {
                            let sample = job / heads, head = job % heads
                            let offset = sample * tokens * width + head * d
                            BLAS.gemm(transB: true, m: tokens, n: tokens, k: d, alpha: scale,
                                      a: qb.base + offset, lda: width, b: kb.base + offset, ldb: width,
                                      c: s, ldc: tokens)
                            if let mask {
                                mask.withUnsafeBufferPointer { mp in
                                    let m = mp.baseAddress! + sample * tokens
                                    for i in 0..<tokens {
                                        let row = s + i * tokens
                                        for j in 0..<tokens { row[j] += m[j] }
                                    }
                                }
                            }
                            for i in 0..<tokens { softmax(s + i * tokens, count: tokens) }
                            BLAS.gemm(m: tokens, n: d, k: tokens, a: s, lda: tokens,
                                      b: vb.base + offset, ldb: width, c: ob.base + offset, ldc: width)
                        }
                    }
                }
            }
        }}}}
        return out
    }

    /// In-place softmax of `count` values (max-subtracted, as torch does).
    static func softmax(_ row: UnsafeMutablePointer<Float>, count: Int) {
        var top = -Float.infinity
        for j in 0..<count { top = max(top, row[j]) }
        var sum: Float = 0
        for j in 0..<count { let e = expf(row[j] - top); row[j] = e; sum += e }
        let inv = 1 / sum
        for j in 0..<count { row[j] *= inv }
    }
}
