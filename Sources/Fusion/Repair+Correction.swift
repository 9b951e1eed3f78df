import Foundation
import NamingSchemes
import WeightStore

/// A per-channel affine change `s ↦ scale·s + shift` of the part of a site that the fused
/// model's weights write (the whole quantity for MLP and attention outputs and the ViT
/// embeddings; the sublayer's part of a residual join). One value per channel.
struct ChannelAffine: Sendable, Equatable {
    var scale: [Double]
    var shift: [Double]
    /// Channels whose target spread could not be reached within the scale bound (joins only).
    var limited = 0
}

extension Repair {
    /// The change that moves the site's measured moments onto the target.
    ///
    /// Whole quantity `x` (measured mean `m`, std `s`; target `μ`, `σ`):
    /// `a = σ / s`, `b = μ − a·m`, exact (`a = 1` when `s` is ~0 or the spread is not matched).
    ///
    /// Join `x = r + s'` where only the written part changes, `s' = a·s + b`:
    /// the mean is exact with `b = μ − m_r − a·m_s`; the variance
    /// `var(r) + a²·var(s) + 2a·cov(r, s) = σ²` is solved for `a > 0` (the root closest to 1,
    /// within a relative 1e-6 of the variance; it is 1 when the statistics already match).
    /// When no root lies in
    /// `[1/maxStreamScale, maxStreamScale]`, the value of that interval whose variance comes
    /// closest to `σ²` is taken and the channel counted in `limited`.
    static func affine(measured: SiteMoments, target: SiteTarget, options: RepairOptions) -> ChannelAffine {
        let n = measured.width
        var out = ChannelAffine(scale: [Double](repeating: 1, count: n), shift: [Double](repeating: 0, count: n))
        guard let parts = measured.parts else {
            let s = measured.std
            for c in 0..<n {
                let a = options.matchSpread && s[c] > 1e-8 && target.std[c].isFinite ? target.std[c] / s[c] : 1
                out.scale[c] = a
                out.shift[c] = target.mean[c] - a * measured.mean[c]
            }
            return out
        }
        let bound = max(options.maxStreamScale, 1)
        for c in 0..<n {
            var a = 1.0
            if options.matchSpread, parts.varS[c] > 1e-16 {
                let vs = parts.varS[c], cov = parts.cov[c], vr = parts.varR[c], goal = target.std[c] * target.std[c]
                func excess(_ a: Double) -> Double { abs(vs * a * a + 2 * cov * a + vr - goal) }
                let lo = 1 / bound, hi = bound
                var candidates = [min(max(-cov / vs, lo), hi), lo, hi]
                let disc = cov * cov - vs * (vr - goal)
                if disc >= 0 {
                    let root = disc.squareRoot()
                    candidates += [(-cov + root) / vs, (-cov - root) / vs].map { min(max($0, lo), hi) }
                }
                // Exact roots (to float error) first, the one closest to 1 among them: when the
                // statistics already match, both a = 1 and -1 - 2cov/var(s) may solve it.
                let tolerance = 1e-6 * max(goal, vr + vs, 1e-12)
                let exact = candidates.filter { excess($0) <= tolerance }
                if let best = exact.min(by: { abs($0 - 1) < abs($1 - 1) }) {
                    a = best
                } else {
                    a = candidates.min { excess($0) < excess($1) }!
                    out.limited += 1
                }
            }
            out.scale[c] = a
            out.shift[c] = target.mean[c] - parts.meanR[c] - a * parts.meanS[c]
        }
        return out
    }

    /// Applies `change` to the tensors that write site `site` of `store`:
    /// - layer sites: rows `c` of the writer's weight (`[out, in]`) times `scale[c]`, its bias
    ///   `b[c] ↦ scale[c]·b[c] + shift[c]`;
    /// - ViT embeddings (the whole stream): channel `c` of the class token, the position
    ///   embeddings and the patch projection's weight rows and bias times `scale[c]`, and
    ///   `shift[c]` added to the class token and the patch bias (so every token moves by it);
    /// - BERT embeddings (`r` = word embeddings, kept: the MLM decoder is tied to them):
    ///   column `c` of the position and token-type tables times `scale[c]`, `shift[c]` added
    ///   to the position table.
    /// - Throws: ``FusionError/repair(_:)`` when a tensor is missing or its shape does not fit.
    static func apply(_ change: ChannelAffine, at site: RepairSite, family: Architecture.Family,
                      to store: inout WeightStore) throws {
        let n = change.scale.count
        if let writer = site.writer {
            try update(&store, writer + ".weight", channels: n, axis: .rows) { v, c in v * change.scale[c] }
            try update(&store, writer + ".bias", channels: n, axis: .rows) { v, c in v * change.scale[c] + change.shift[c] }
            return
        }
        switch family {
        case .vit:
            try update(&store, "embeddings.cls_token", channels: n, axis: .columns) { v, c in v * change.scale[c] + change.shift[c] }
            try update(&store, "embeddings.position_embeddings", channels: n, axis: .columns) { v, c in v * change.scale[c] }
            try update(&store, "embeddings.patch_embeddings.projection.weight", channels: n, axis: .rows) { v, c in v * change.scale[c] }
            try update(&store, "embeddings.patch_embeddings.projection.bias", channels: n, axis: .rows) { v, c in v * change.scale[c] + change.shift[c] }
        case .bert:
            try update(&store, "embeddings.position_embeddings.weight", channels: n, axis: .columns) { v, c in v * change.scale[c] + change.shift[c] }
            try update(&store, "embeddings.token_type_embeddings.weight", channels: n, axis: .columns) { v, c in v * change.scale[c] }
        }
    }

    /// Which axis of a tensor holds the channels: the first (`rows`: weights `[out, …]`,
    /// biases) or the last (`columns`: embedding tables `[…, hidden]`).
    enum ChannelAxis { case rows, columns }

    /// Rewrites tensor `name` element by element, `transform(value, channel)`, in its dtype.
    static func update(_ store: inout WeightStore, _ name: String, channels: Int, axis: ChannelAxis,
                       _ transform: (Double, Int) -> Double) throws {
        guard let t = store[name] else {
            throw FusionError.repair("the fused model has no \(name), which the correction of its statistics rewrites")
        }
        let values = try t.floats()
        let channelCount = axis == .rows ? t.shape.first ?? 1 : t.shape.last ?? 1
        guard channelCount == channels, channels > 0, values.count % channels == 0 else {
            throw FusionError.repair("\(name): \(Shape.describe(t.shape)) does not have \(channels) channels on its \(axis == .rows ? "first" : "last") axis")
        }
        let per = values.count / channels
        var out = values
        for k in values.indices {
            let c = axis == .rows ? k / per : k % channels
            out[k] = Float(transform(Double(values[k]), c))
        }
        store.set(try Tensor.fromFloats(name: name, shape: t.shape, values: out, dtype: t.dtype))
    }
}
