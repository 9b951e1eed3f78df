import Transport

/// The moments a site of the fused model should have, one value per fused (anchor) channel.
struct SiteTarget: Sendable, Equatable {
    var mean: [Double]
    var std: [Double]
}

extension Repair {
    /// The targets of site `name` from the parents' own statistics:
    /// `μ*[c] = Σ_k w_k · (T̃_kᵀ μ_k)[c]` and `σ*[c] = Σ_k w_k · (T̃_kᵀ σ_k)[c]`, where `μ_k`,
    /// `σ_k` are model k's per-channel mean and standard deviation (its own width `n_k`),
    /// `T̃_k` (`n_k × n_anchor`) is model k's transport map at this site with each anchor column
    /// scaled to sum to 1 — the barycentric projection, so an anchor channel's target is the
    /// average of the source channels it was fused from — and the identity for the anchor;
    /// `w_k` are the fusion's coefficients for this site (``Fuser/coefficients``).
    ///
    /// Re-running an aligned copy of a parent would not give these: a soft map does not
    /// preserve the parent's function, so the copy's activations are not the parent's.
    /// - Throws: ``FusionError/repair(_:)`` when a map does not fit the statistics' widths.
    static func target(_ name: String, parents: [[String: SiteMoments]], maps: [Int: TransportMap],
                       coefficients: [Double], anchor: Int, labels: [String]) throws -> SiteTarget {
        guard let own = parents[anchor][name] else {
            throw FusionError.repair("no statistics of \(name) for the anchor \(labels[anchor])")
        }
        let width = own.width
        var mean = own.mean.map { $0 * coefficients[anchor] }
        var std = own.std.map { $0 * coefficients[anchor] }
        for k in parents.indices where k != anchor {
            guard let moments = parents[k][name] else {
                throw FusionError.repair("no statistics of \(name) for \(labels[k]) (model \(k))")
            }
            let projection: Matrix
            if let map = maps[k] {
                guard map.rows == moments.width, map.cols == width else {
                    throw FusionError.repair("\(name): model \(k)'s transport map there is [\(map.rows), \(map.cols)] but \(labels[k]) has \(moments.width) channels and the anchor \(width)")
                }
                projection = map.outputSide(.barycentric)
            } else {
                guard moments.width == width else {
                    throw FusionError.repair("\(name): \(labels[k]) has \(moments.width) channels, the anchor \(width), and there is no transport map between them")
                }
                projection = TransportMap.identity(rows: width, cols: width).matrix
            }
            let m = Dense.rowTimes(moments.mean, projection), s = Dense.rowTimes(moments.std, projection)
            for c in 0..<width {
                mean[c] += coefficients[k] * m[c]
                std[c] += coefficients[k] * s[c]
            }
        }
        return SiteTarget(mean: mean, std: std)
    }
}
