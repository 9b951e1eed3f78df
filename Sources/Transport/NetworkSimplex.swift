/// Primal network simplex for the transportation problem
/// `min Σ C[i,j]·P[i,j]` s.t. `P·1 = a`, `Pᵀ·1 = b`, `P >= 0` (`a`, `b` of equal mass).
///
/// The basis is a spanning tree over the `n + m` nodes (sources `0..<n`, sinks `n..<n+m`) with
/// `n + m − 1` arcs, started from the north-west-corner rule. Node potentials satisfy
/// `π(i) + π(n+j) = C[i,j]` on tree arcs; pricing is block search (most negative reduced cost
/// within blocks of about `√(nm)` arcs, resuming where the last block ended); the leaving arc is
/// the last blocking arc of the cycle traversed from its apex in the entering arc's direction;
/// the detached subtree is re-hung and its depths and potentials recomputed. Deterministic.
struct NetworkSimplex {
    let n: Int
    let m: Int
    let cost: UnsafeBufferPointer<Double>

    // Tree arcs: slot k joins source arcSource[k] and sink arcSink[k] (sink index 0..<m).
    var arcSource: [Int]
    var arcSink: [Int]
    var flow: [Double]
    // Nodes.
    var parent: [Int]
    var parentArc: [Int]
    var depth: [Int]
    var potential: [Double]
    // Incidence lists of the tree, flattened: `firstArc[node]`, then `nextAtSource[k]` /
    // `nextAtSink[k]` chain the arcs at arc k's source / sink (−1 ends a list).
    var firstArc: [Int]
    var nextAtSource: [Int]
    var nextAtSink: [Int]
    var stack: [Int] = []

    /// Outcome: the tree arcs with their flows, the pivot count, and whether optimality was proven.
    struct Solution {
        var arcs: [(source: Int, sink: Int, flow: Double)]
        var pivots: Int
        var optimal: Bool
    }

    init(n: Int, m: Int, cost: UnsafeBufferPointer<Double>, a: [Double], b: [Double]) {
        self.n = n
        self.m = m
        self.cost = cost
        let nodes = n + m
        arcSource = []; arcSink = []; flow = []
        arcSource.reserveCapacity(nodes - 1); arcSink.reserveCapacity(nodes - 1); flow.reserveCapacity(nodes - 1)
        parent = [Int](repeating: -1, count: nodes)
        parentArc = [Int](repeating: -1, count: nodes)
        depth = [Int](repeating: 0, count: nodes)
        potential = [Double](repeating: 0, count: nodes)
        firstArc = [Int](repeating: -1, count: nodes)
        nextAtSource = []; nextAtSink = []
        nextAtSource.reserveCapacity(nodes - 1); nextAtSink.reserveCapacity(nodes - 1)

        // North-west corner: a staircase path, so exactly n + m − 1 arcs (zero flows allowed).
        var i = 0, j = 0
        var ra = a[0], rb = b[0]
        while true {
            let f = Swift.min(ra, rb)
            addArc(source: i, sink: j, flow: f)
            if i == n - 1 && j == m - 1 { break }
            if j == m - 1 || (i < n - 1 && ra <= rb) {
                rb -= f; i += 1; ra = a[i]
            } else {
                ra -= f; j += 1; rb = b[j]
            }
        }
        // Root the tree at source 0.
        rehang(root: 0, parentNode: -1, viaArc: -1)
    }

    private mutating func addArc(source: Int, sink: Int, flow f: Double) {
        let k = arcSource.count
        arcSource.append(source); arcSink.append(sink); flow.append(f)
        nextAtSource.append(-1); nextAtSink.append(-1)
        link(k)
    }

    /// Puts tree arc `k` at the head of both endpoints' incidence lists.
    private mutating func link(_ k: Int) {
        let s = arcSource[k], t = n + arcSink[k]
        nextAtSource[k] = firstArc[s]; firstArc[s] = k
        nextAtSink[k] = firstArc[t]; firstArc[t] = k
    }

    @inline(__always) private func next(_ k: Int, at node: Int) -> Int {
        node < n ? nextAtSource[k] : nextAtSink[k]
    }

    /// Removes tree arc `k` from the incidence list of `node` (one of its endpoints).
    private mutating func unlink(_ k: Int, at node: Int) {
        var previous = -1, current = firstArc[node]
        while current != k { previous = current; current = next(current, at: node) }
        let after = next(k, at: node)
        if previous < 0 {
            firstArc[node] = after
        } else if node < n {
            nextAtSource[previous] = after
        } else {
            nextAtSink[previous] = after
        }
    }

    @inline(__always) private func otherEnd(_ k: Int, from node: Int) -> Int {
        node < n ? n + arcSink[k] : arcSource[k]
    }

    /// Sets `root`'s parent to `parentNode` through `viaArc` and recomputes parents, depths and
    /// potentials of every node reachable from `root` without crossing `viaArc`.
    private mutating func rehang(root: Int, parentNode: Int, viaArc: Int) {
        parent[root] = parentNode
        parentArc[root] = viaArc
        if parentNode < 0 {
            depth[root] = 0
            potential[root] = 0
        } else {
            depth[root] = depth[parentNode] + 1
            potential[root] = cost[arcSource[viaArc] * m + arcSink[viaArc]] - potential[parentNode]
        }
        stack.removeAll(keepingCapacity: true)
        stack.append(root)
        while let w = stack.popLast() {
            var k = firstArc[w]
            let up = parentArc[w], d = depth[w] + 1, pw = potential[w]
            while k >= 0 {
                if k != up {
                    let c = otherEnd(k, from: w)
                    parent[c] = w
                    parentArc[c] = k
                    depth[c] = d
                    potential[c] = cost[arcSource[k] * m + arcSink[k]] - pw
                    stack.append(c)
                }
                k = next(k, at: w)
            }
        }
    }

    /// Runs pivots until no arc has a negative reduced cost or `maxPivots` is reached.
    mutating func run(maxPivots: Int) -> Solution {
        let total = n * m
        let block = Swift.min(total, Swift.max(Int(Double(total).squareRoot()), 16))
        var position = 0
        var pivots = 0
        var optimal = false
        var pathI = [Int](), pathJ = [Int]()
        // Reduced costs above −1e-12 of the magnitudes involved count as zero (potentials carry
        // rounding from long tree paths); the cost is then optimal to about 1e-12 relative.
        let tolerance = 1e-12

        while pivots < maxPivots {
            // Pricing: block search over arcs in row-major order, resuming at `position`.
            var best = -1
            var bestRC = 0.0
            var scanned = 0, inBlock = 0
            while scanned < total {
                let i = position / m
                let j0 = position % m
                let take = Swift.min(m - j0, block - inBlock, total - scanned)
                let ui = potential[i]
                let rowBase = i * m
                for j in j0..<(j0 + take) {
                    let c = cost[rowBase + j]
                    let vj = potential[n + j]
                    let rc = c - ui - vj
                    if rc < bestRC && rc < -tolerance * (abs(c) + abs(ui) + abs(vj)) {
                        bestRC = rc
                        best = rowBase + j
                    }
                }
                scanned += take
                inBlock += take
                position += take
                if position == total { position = 0 }
                if inBlock == block {
                    if best >= 0 { break }
                    inBlock = 0
                }
            }
            guard best >= 0 else { optimal = true; break }
            pivot(enteringSource: best / m, enteringSink: best % m, pathI: &pathI, pathJ: &pathJ)
            pivots += 1
        }
        var arcs = [(source: Int, sink: Int, flow: Double)]()
        arcs.reserveCapacity(flow.count)
        for k in flow.indices { arcs.append((arcSource[k], arcSink[k], flow[k])) }
        return Solution(arcs: arcs, pivots: pivots, optimal: optimal)
    }

    /// One pivot with entering arc (source `ei`, sink `ej`).
    private mutating func pivot(enteringSource ei: Int, enteringSink ej: Int, pathI: inout [Int], pathJ: inout [Int]) {
        // The cycle: tree path from the source node up to the apex and from the sink node up to it.
        pathI.removeAll(keepingCapacity: true)
        pathJ.removeAll(keepingCapacity: true)
        var p = ei, q = n + ej
        while depth[p] > depth[q] { pathI.append(p); p = parent[p] }
        while depth[q] > depth[p] { pathJ.append(q); q = parent[q] }
        while p != q { pathI.append(p); p = parent[p]; pathJ.append(q); q = parent[q] }

        // Pushing flow source → sink on the entering arc: tree arcs decrease where the cycle
        // crosses them sink → source: on the sink side below sinks, on the source side below sources.
        // Leaving arc: last blocking arc from the apex in cycle order (apex → source side → entering
        // arc → sink side → apex): the blocking arc on the sink side nearest the apex, otherwise
        // the one on the source side nearest the entering source.
        var theta = Double.infinity
        var leaving = -1        // child node of the leaving arc
        var leavingOnSinkSide = false
        for w in pathJ where w >= n {
            let f = flow[parentArc[w]]
            if f <= theta { theta = f; leaving = w; leavingOnSinkSide = true }
        }
        for w in pathI where w < n {
            let f = flow[parentArc[w]]
            if f < theta || (f == theta && !leavingOnSinkSide && leaving < 0) {
                theta = f; leaving = w; leavingOnSinkSide = false
            }
        }
        precondition(leaving >= 0, "network simplex: a tree cycle without a decreasing arc")

        if theta > 0 {
            for w in pathI { if w < n { flow[parentArc[w]] -= theta } else { flow[parentArc[w]] += theta } }
            for w in pathJ { if w >= n { flow[parentArc[w]] -= theta } else { flow[parentArc[w]] += theta } }
        }

        // Replace the leaving arc's slot by the entering arc and re-hang the detached subtree.
        let slot = parentArc[leaving]
        let upper = parent[leaving]
        unlink(slot, at: leaving)
        unlink(slot, at: upper)
        arcSource[slot] = ei
        arcSink[slot] = ej
        flow[slot] = theta
        link(slot)
        if leavingOnSinkSide {
            rehang(root: n + ej, parentNode: ei, viaArc: slot)
        } else {
            rehang(root: ei, parentNode: n + ej, viaArc: slot)
        }
    }
}
