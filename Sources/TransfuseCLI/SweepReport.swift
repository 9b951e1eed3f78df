import Foundation
import Fusion

/// What `transfuse sweep` prints: one table row (or JSON entry) per setting.
struct SweepReport: Encodable {
    struct Seconds: Encodable {
        /// Activations computed for this setting (0 when they were already cached or not needed).
        var activations = 0.0
        /// `Fuser.fuse` in total, and the part of it spent on ground metrics and OT.
        var fusion = 0.0
        var transport = 0.0
        /// The post-fusion correction (`repair:`) and refit (`refit:`), after `fusion`.
        var repair = 0.0
        var evaluation = 0.0
    }

    struct Row: Encodable {
        let setting: SweepSetting
        var metrics: EvalReport.Model?
        var seconds = Seconds()
        var error: String?

        init(setting: SweepSetting) { self.setting = setting }

        enum Keys: String, CodingKey {
            case setting, role, assignments, options, accuracy, loss, perplexity, samples, seconds, error
        }

        func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(setting.label, forKey: .setting)
            try c.encode(role, forKey: .role)
            try c.encode(Dictionary(setting.assignments.map { ($0.key, $0.value) }) { _, last in last }, forKey: .assignments)
            if case .parent = setting.kind {} else { try c.encode(ResolvedOptions(setting.options), forKey: .options) }
            if let metrics {
                try c.encode(metrics.accuracy, forKey: .accuracy)
                try c.encode(metrics.loss, forKey: .loss)
                try c.encodeIfPresent(metrics.perplexity, forKey: .perplexity)
                try c.encode(metrics.samples, forKey: .samples)
            }
            try c.encode(seconds, forKey: .seconds)
            try c.encodeIfPresent(error, forKey: .error)
        }

        var role: String {
            switch setting.kind {
            case .parent: return "parent"
            case .vanilla: return "vanilla"
            case .fused: return "fused"
            }
        }
    }

    struct Skipped: Encodable {
        let setting: String
        let sameAs: String
        enum CodingKeys: String, CodingKey { case setting, sameAs = "same_as" }
    }

    struct Timings: Encodable { var loading, activations, total: Double }

    let models: [String]
    let data: String?
    let eval: String
    let task: String
    let grid: String
    let rows: [Row]
    let skipped: [Skipped]
    let timings: Timings

    enum Keys: String, CodingKey { case models, data, eval, task, grid, settings, skipped, timings }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(models, forKey: .models)
        try c.encodeIfPresent(data, forKey: .data)
        try c.encode(eval, forKey: .eval)
        try c.encode(task, forKey: .task)
        try c.encode(grid, forKey: .grid)
        try c.encode(rows, forKey: .settings)
        try c.encode(skipped, forKey: .skipped)
        try c.encode(timings, forKey: .timings)
    }

    /// An aligned table: setting, role, accuracy, loss (perplexity for masked LM), seconds of
    /// fusion with its correction (activations, computed once, are in the last line) and evaluation; a failed
    /// setting shows its error in the last column.
    func table() -> String {
        let mlm = rows.contains { $0.metrics?.perplexity != nil }
        let failures = rows.contains { $0.error != nil }
        var header = ["setting", "role", "accuracy", "loss"] + (mlm ? ["perplexity"] : []) + ["fuse s", "eval s"]
        if failures { header.append("error") }
        let body = rows.map { row -> [String] in
            var cells = [row.setting.label, row.role]
            if let m = row.metrics {
                cells += [String(format: "%.4f", m.accuracy), String(format: "%.4f", m.loss)]
                if mlm { cells.append(m.perplexity.map { String(format: "%.3f", $0) } ?? "") }
            } else {
                cells += ["-", "-"] + (mlm ? ["-"] : [])
            }
            let isParent = row.setting.kind != .fused && row.setting.kind != .vanilla
            cells += [isParent ? "" : String(format: "%.2f", row.seconds.fusion + row.seconds.repair),
                      row.metrics == nil ? "" : String(format: "%.2f", row.seconds.evaluation)]
            if failures { cells.append(row.error ?? "") }
            return cells
        }
        let numbers = Set(2..<(header.count - (failures ? 1 : 0)))
        var lines = ["\(eval) (\(task)), \(models.count) models, grid: \(grid)"]
        lines += TextTable.render(header: header, rows: body, rightAligned: numbers)
        lines.append(String(format: "loading %.2f s, activations %.2f s (computed once per model and acts.* setting), total %.2f s",
                            timings.loading, timings.activations, timings.total))
        return lines.joined(separator: "\n")
    }
}

/// A setting's resolved options in the keys of a `fusion:` section (so they can be pasted into
/// a `fuse --config` file), plus `method`, `anchor` and `weights`.
struct ResolvedOptions: Encodable {
    let o: FusionOptions
    init(_ o: FusionOptions) { self.o = o }

    enum Keys: String, CodingKey {
        case method, anchor, weights, type, ot_solver, sinkhorn_reg, resid_policy, qk_fusion, heads, transport_scaling,
             cls_alignment, stream_alignment, stream_rounds, compat, fuse_src_embed, fuse_sa, fuse_norm, fuse_fc, fuse_bias, fuse_gen, gnd_metric, acts, wts, repair
    }
    struct Metric: Encodable {
        let type, norm: String
        let reg, clip_min, clip_max: Double
        let squared, clip: Bool
    }
    /// The `repair:` key as a mapping (`false` when off).
    struct Repair: Encodable {
        let sites: [String]
        let mean_only: Bool
        let num_samples: Int?
        let max_stream_scale: Double
    }
    struct Acts: Encodable {
        let num_samples: Int
        let std, center, norm: Bool
        let seq_filter: String
    }

    func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(o.method.rawValue, forKey: .method)
        try c.encode(o.anchor, forKey: .anchor)
        try c.encodeIfPresent(o.modelWeights, forKey: .weights)
        try c.encode(o.alignment == .weights ? "wts" : "acts", forKey: .type)
        try c.encode(o.solver.rawValue, forKey: .ot_solver)
        try c.encode(o.reg, forKey: .sinkhorn_reg)
        try c.encode(o.residualPolicy.rawValue, forKey: .resid_policy)
        try c.encode(o.qkFusion.rawValue, forKey: .qk_fusion)
        try c.encode(o.heads.rawValue, forKey: .heads)
        try c.encode(o.scaling.rawValue, forKey: .transport_scaling)
        try c.encode(o.classToken.rawValue, forKey: .cls_alignment)
        try c.encode(o.streamAlignment.rawValue, forKey: .stream_alignment)
        try c.encode(o.streamRounds, forKey: .stream_rounds)
        try c.encode(o.compat.rawValue, forKey: .compat)
        try c.encode(o.fuseEmbeddings, forKey: .fuse_src_embed)
        try c.encode(o.fuseAttention, forKey: .fuse_sa)
        try c.encode(o.fuseNorm, forKey: .fuse_norm)
        try c.encode(o.fuseMLP, forKey: .fuse_fc)
        try c.encode(o.fuseBias, forKey: .fuse_bias)
        try c.encode(o.fuseHead, forKey: .fuse_gen)
        let m = o.metric
        try c.encode(Metric(type: m.type.rawValue, norm: m.norm.rawValue, reg: m.reg, clip_min: m.clipMin, clip_max: m.clipMax,
                            squared: m.squared, clip: m.clip), forKey: .gnd_metric)
        try c.encode(Acts(num_samples: o.numSamples, std: o.standardize, center: o.center, norm: o.l2Normalize,
                          seq_filter: o.sequenceFilter == .onlyCLS ? "only_cls" : "None"), forKey: .acts)
        try c.encode(["norm": o.normalizeWeights], forKey: .wts)
        if let r = o.repair {
            try c.encode(Repair(sites: r.sites.sorted().map(\.rawValue), mean_only: !r.matchSpread, num_samples: r.numSamples,
                                max_stream_scale: r.maxStreamScale), forKey: .repair)
        } else {
            try c.encode(false, forKey: .repair)
        }
    }
}
