/// Exact assignment of `n` rows to `m` columns that each take exactly `capacity` rows
/// (`n = capacity · m`): the uniform-marginal transport problem with `m | n`, solved without
/// duplicating columns. Shortest augmenting paths in the style of Jonker–Volgenant, one price
/// per column shared by its `capacity` slots.
///
/// Invariant: every assigned row sits on a minimum of its reduced costs `C[i, j] − v[j]`; at the
/// end every column is full, so `u[i] = min_j (C[i, j] − v[j])`, `v` are optimal duals of the
/// transport problem (complementary slackness), and the assignment is optimal.
enum CapacitatedAssignment {
    /// Row → column for a row-major `n × m` buffer of finite costs, `n == capacity * m`.
    static func solve(n: Int, m: Int, capacity: Int, cost c: UnsafeBufferPointer<Double>) -> [Int] {
        precondition(n == capacity * m && m > 0)
        var x = [Int](repeating: -1, count: n)
        var members = [[Int]](repeating: [], count: m)
        for j in 0..<m { members[j].reserveCapacity(capacity) }
        // Column reduction: v[j] = min_i C[i, j] (row-major scan).
        var v = [Double](repeating: .infinity, count: m)
        for i in 0..<n {
            let base = i * m
            for j in 0..<m where c[base + j] < v[j] { v[j] = c[base + j] }
        }
        // Greedy start: each row takes its first reduced-cost minimum if that column has room.
        // `margin[i]` is a lower bound on (second-best − best) reduced cost of an assigned row:
        // prices only decrease before the augmentation phase, which can only raise it.
        var margin = [Double](repeating: 0, count: n)
        var pending = [Int]()
        for i in 0..<n {
            let (j1, u1, _, u2) = twoSmallest(row: i, m: m, cost: c, prices: v)
            if members[j1].count < capacity {
                x[i] = j1; members[j1].append(i); margin[i] = u2 - u1
            } else {
                pending.append(i)
            }
        }
        // Row reduction with shared column prices (bounded work): a free row whose best column is
        // full takes the place of the member with the smallest margin m0 when its own margin is
        // larger, after the column's price drops by m0 — every member keeps a best column.
        var free = [Int]()
        var head = 0
        var budget = 4 * n + 16
        while head < pending.count {
            let i = pending[head]
            head += 1
            budget -= 1
            if budget < 0 { free.append(i); continue }
            let (j1, u1, _, u2) = twoSmallest(row: i, m: m, cost: c, prices: v)
            if members[j1].count < capacity {
                x[i] = j1; members[j1].append(i); margin[i] = u2 - u1
                continue
            }
            var slot = 0
            for s in 1..<members[j1].count where margin[members[j1][s]] < margin[members[j1][slot]] { slot = s }
            let evicted = members[j1][slot]
            let m0 = margin[evicted]
            let delta = u2 - u1
            guard delta > m0 else { free.append(i); continue }
            v[j1] -= m0
            for r in members[j1] { margin[r] -= m0 }
            x[evicted] = -1
            members[j1][slot] = i
            x[i] = j1
            margin[i] = delta - m0
            pending.append(evicted)
        }
        // Augment each free row along a shortest path over columns (Dijkstra on reduced costs).
        // `distance` holds tentative distances, +∞ once a column is final; `blocked` is +∞ for
        // final columns so relaxations skip them without branches.
        var distance = [Double](repeating: 0, count: m)
        var blocked = [Double](repeating: 0, count: m)
        var finalDistance = [Double](repeating: 0, count: m)
        var pred = [Int64](repeating: 0, count: m)
        var finalized = [Int]()
        for f in free {
            let fb = f * m
            for j in 0..<m { distance[j] = c[fb + j] - v[j]; blocked[j] = 0; pred[j] = Int64(f) }
            finalized.removeAll(keepingCapacity: true)
            var end = -1
            var minD = 0.0
            while true {
                minD = distance.withUnsafeBufferPointer { Kernels.minimum($0.baseAddress!, m) }
                var pick = -1
                distance.withUnsafeBufferPointer { dp in
                    var j = Kernels.firstIndex(of: minD, in: dp.baseAddress!, from: 0, to: m)
                    while j >= 0 {
                        if members[j].count < capacity { end = j; break }
                        if pick < 0 { pick = j }
                        j = Kernels.firstIndex(of: minD, in: dp.baseAddress!, from: j + 1, to: m)
                    }
                }
                if end >= 0 { break }
                finalDistance[pick] = minD
                distance[pick] = .infinity
                blocked[pick] = .infinity
                finalized.append(pick)
                for i in members[pick] {
                    let offset = c[i * m + pick] - v[pick] - minD
                    distance.withUnsafeMutableBufferPointer { dp in
                        pred.withUnsafeMutableBufferPointer { pp in
                            Kernels.relax(row: c.baseAddress! + i * m, prices: v, blocked: blocked, offset: offset,
                                          distance: dp.baseAddress!, pred: pp.baseAddress!, rowIndex: Int64(i), m)
                        }
                    }
                }
            }
            for j in finalized { v[j] += finalDistance[j] - minD }
            // Shift rows along the path: pred[end] moves into end, and so on back to f.
            var j = end
            while true {
                let i = Int(pred[j])
                let previous = x[i]
                x[i] = j
                members[j].append(i)
                if previous < 0 { break }
                if let slot = members[previous].firstIndex(of: i) { members[previous].remove(at: slot) }
                j = previous
            }
        }
        return x
    }

    /// Smallest and second-smallest of `C[row, j] − v[j]` (first index wins ties): `(j1, u1, j2, u2)`.
    @inline(__always)
    static func twoSmallest(row: Int, m: Int, cost c: UnsafeBufferPointer<Double>, prices v: [Double]) -> (Int, Double, Int, Double) {
        let r = v.withUnsafeBufferPointer { vp in
            Kernels.twoSmallest(Kernels.vectorUnit, c: c.baseAddress! + row * m, v: vp.baseAddress!, count: m)
        }
        return (r.first, r.umin, r.second, r.usub)
    }
}
