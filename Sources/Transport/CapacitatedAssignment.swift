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
        var free = [Int]()
        for i in 0..<n {
            let base = i * m
            var best = 0, bestValue = c[base] - v[0]
            for j in 1..<m {
                let h = c[base + j] - v[j]
                if h < bestValue { bestValue = h; best = j }
            }
            if members[best].count < capacity { x[i] = best; members[best].append(i) } else { free.append(i) }
        }
        // Augment each free row along a shortest path over columns.
        var d = [Double](repeating: 0, count: m)
        var pred = [Int](repeating: 0, count: m)
        var cols = [Int](repeating: 0, count: m)
        for f in free {
            let fb = f * m
            for j in 0..<m { d[j] = c[fb + j] - v[j]; pred[j] = f; cols[j] = j }
            var low = 0, up = 0, end = -1
            var minD = 0.0
            search: while true {
                if up == low {
                    minD = d[cols[up]]
                    up += 1
                    var k = up
                    while k < m {
                        let j = cols[k], h = d[j]
                        if h <= minD {
                            if h < minD { up = low; minD = h }
                            cols[k] = cols[up]; cols[up] = j; up += 1
                        }
                        k += 1
                    }
                    for k in low..<up where members[cols[k]].count < capacity { end = cols[k]; break search }
                }
                let j1 = cols[low]
                low += 1
                for i in members[j1] {
                    let ib = i * m
                    let u1 = c[ib + j1] - v[j1] - minD
                    var k = up
                    while k < m {
                        let j = cols[k]
                        let h = c[ib + j] - v[j] - u1
                        if h < d[j] {
                            pred[j] = i
                            d[j] = h
                            if h == minD {
                                if members[j].count < capacity { end = j; break search }
                                cols[k] = cols[up]; cols[up] = j; up += 1
                            }
                        }
                        k += 1
                    }
                }
            }
            for k in 0..<low { let j = cols[k]; v[j] += d[j] - minD }
            // Shift rows along the path: pred[end] moves into end, and so on back to f.
            var j = end
            while true {
                let i = pred[j]
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
}
