import Foundation
import Transport
import Yams

extension FusionOptions {
    /// Applies the `fusion:` section of a paper experiment YAML (unchanged files work) plus
    /// Transfuse's keys (`compat`, `heads`, `transport_scaling`, `cls_alignment`,
    /// `stream_alignment`, `stream_rounds`, `repair`, `refit`, in the same section). Other sections
    /// (`model:`, `regression:`…) are ignored. Keys of the paper's schema that Transfuse does not
    /// implement are accepted and reported in the returned warnings when set to a non-default
    /// value; any other key is an error.
    /// - Parameters:
    ///   - text: the YAML document.
    ///   - file: its path, for messages.
    /// - Returns: warnings, one per ignored setting.
    /// - Throws: `FusionError.invalidConfig` naming the file, the key path and the problem.
    public mutating func apply(yaml text: String, file: String) throws -> [String] {
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch {
            throw FusionError.invalidConfig(file: file, key: "$", reason: "not valid YAML: \(error)")
        }
        guard let document = root as? [String: Any] else {
            throw FusionError.invalidConfig(file: file, key: "$", reason: "expected a mapping with a 'fusion:' section")
        }
        guard let section = document["fusion"] else { return ["\(file): no 'fusion:' section; using the defaults"] }
        guard let fusion = section as? [String: Any] else {
            throw FusionError.invalidConfig(file: file, key: "fusion", reason: "expected a mapping")
        }
        return try apply(fusion: fusion, file: file)
    }

    /// A config applied on top of `defaults` (Transfuse's for a family and data), or on top of
    /// the plain options when the config sets `compat: reference`, whose own defaults then hold.
    /// - Parameter apply: applies the config (``apply(yaml:file:)`` or ``apply(fusion:file:)``)
    ///   and returns its warnings; it runs once on the plain options, and again on `defaults`.
    /// - Returns: the options and the config's warnings.
    public static func resolving(over defaults: FusionOptions,
                                 _ apply: (inout FusionOptions) throws -> [String]) throws -> (options: FusionOptions, warnings: [String]) {
        var plain = FusionOptions()
        let warnings = try apply(&plain)
        guard plain.compat != .reference else { return (plain, warnings) }
        var options = defaults
        _ = try apply(&options)   // the same keys: the same warnings, no new errors
        return (options, warnings)
    }

    /// Applies an already parsed `fusion:` mapping (values as Yams loads them), with the same
    /// keys, checks and warnings as ``apply(yaml:file:)``; key paths in errors start `fusion.`.
    public mutating func apply(fusion: [String: Any], file: String) throws -> [String] {
        var reader = ConfigReader(file: file)
        try reader.apply(fusion, to: &self)
        return reader.warnings
    }
}

/// Reads the `fusion:` mapping key by key (see ``FusionOptions/apply(yaml:file:)``).
struct ConfigReader {
    let file: String
    var warnings: [String] = []

    func fail(_ key: String, _ reason: String) -> FusionError { .invalidConfig(file: file, key: key, reason: reason) }

    func bool(_ v: Any, _ key: String) throws -> Bool {
        if let b = v as? Bool { return b }
        throw fail(key, "expected true or false, found '\(v)'")
    }

    func number(_ v: Any, _ key: String) throws -> Double {
        if let d = v as? Double { return d }
        if let i = v as? Int { return Double(i) }
        if let s = v as? String, let d = Double(s) { return d }
        throw fail(key, "expected a number, found '\(v)'")
    }

    func choice<E: RawRepresentable & CaseIterable>(_ v: Any, _ key: String, _ type: E.Type,
                                                    aliases: [String: E] = [:]) throws -> E where E.RawValue == String {
        let s = "\(v)"
        if let e = aliases[s] ?? E(rawValue: s) { return e }
        let allowed = (Array(aliases.keys) + E.allCases.map(\.rawValue)).joined(separator: ", ")
        throw fail(key, "'\(s)' is not one of \(allowed)")
    }

    /// A paper key Transfuse does not implement: warn when it differs from the default.
    mutating func unimplemented(_ key: String, _ v: Any, isDefault: Bool) {
        if !isDefault { warnings.append("\(file): \(key) = \(v) is not implemented by Transfuse and is ignored") }
    }

    func isFalse(_ v: Any) -> Bool { (v as? Bool) == false || v is NSNull || "\(v)" == "False" }

    mutating func apply(_ fusion: [String: Any], to o: inout FusionOptions) throws {
        // compat first: it sets the reference's scaling and class-token map, which explicit keys may override.
        if let v = fusion["compat"] {
            o.compat = try choice(v, "fusion.compat", FusionOptions.Compat.self)
            if o.compat == .reference { o.scaling = .reference; o.classToken = .reference }
        }
        for (key, v) in fusion.sorted(by: { $0.key < $1.key }) {
            let path = "fusion." + key
            switch key {
            case "compat": break
            case "num_models": _ = try number(v, path)
            case "type": o.alignment = try choice(v, path, FusionOptions.Alignment.self, aliases: ["acts": .activations, "wts": .weights])
            case "resid_policy": o.residualPolicy = try choice(v, path, FusionOptions.ResidualPolicy.self)
            case "qk_fusion": o.qkFusion = try choice(v, path, FusionOptions.QKFusion.self)
            case "ot_solver": o.solver = try choice(v, path, FusionOptions.Solver.self)
            case "sinkhorn_reg":
                o.reg = try number(v, path)
                guard o.reg > 0 else { throw fail(path, "must be > 0, found \(o.reg)") }
            case "fuse_src_embed": o.fuseEmbeddings = try bool(v, path)
            case "fuse_sa": o.fuseAttention = try bool(v, path)
            case "fuse_norm": o.fuseNorm = try bool(v, path)
            case "fuse_fc": o.fuseMLP = try bool(v, path)
            case "fuse_bias": o.fuseBias = try bool(v, path)
            case "fuse_gen": o.fuseHead = try bool(v, path)
            case "heads": o.heads = try choice(v, path, FusionOptions.Heads.self)
            case "transport_scaling": o.scaling = try choice(v, path, FusionOptions.Scaling.self)
            case "cls_alignment": o.classToken = try choice(v, path, FusionOptions.ClassToken.self)
            case "stream_alignment": o.streamAlignment = try choice(v, path, FusionOptions.StreamAlignment.self)
            case "stream_rounds":
                let r = try number(v, path)
                guard r >= 1, r == r.rounded(), r <= 100 else { throw fail(path, "expected a whole number from 1 to 100, found '\(v)'") }
                o.streamRounds = Int(r)
            case "repair": o.repair = try repair(v, path)
            case "refit": o.refit = try refit(v, path)
            case "pca": unimplemented(path, v, isDefault: isFalse(v))
            case "pca_dim", "pca_k": unimplemented(path, v, isDefault: (fusion["pca"] as? Bool) != true)
            case "fusion_t_w_in": unimplemented(path, v, isDefault: isFalse(v))
            case "heterogeneous": _ = try bool(v, path)
            case "gnd_metric": try groundMetric(v, &o)
            case "acts": try activations(v, &o)
            case "wts":
                guard let m = v as? [String: Any] else { throw fail(path, "expected a mapping") }
                for (k, w) in m {
                    guard k == "norm" else { throw fail(path + "." + k, "unknown key (fusion.wts has: norm)") }
                    o.normalizeWeights = try bool(w, path + ".norm")
                }
            default:
                throw fail(path, "unknown key; fusion keys are: type, ot_solver, sinkhorn_reg, resid_policy, qk_fusion, fuse_src_embed, fuse_sa, fuse_norm, fuse_fc, fuse_bias, fuse_gen, gnd_metric.*, acts.*, wts.norm, num_models, pca, pca_dim, pca_k, fusion_t_w_in and Transfuse's compat, heads, transport_scaling, cls_alignment, stream_alignment, stream_rounds, repair, refit")
            }
        }
    }

    mutating func groundMetric(_ v: Any, _ o: inout FusionOptions) throws {
        guard let m = v as? [String: Any] else { throw fail("fusion.gnd_metric", "expected a mapping") }
        for (key, w) in m.sorted(by: { $0.key < $1.key }) {
            let path = "fusion.gnd_metric." + key
            switch key {
            case "type":
                let s = "\(w)"
                guard let t = [ "euclidean": .euclidean, "euclidiean": .euclidean, "cosine": .cosine ][s] as GroundMetric.Kind? else {
                    throw fail(path, "'\(s)' is not supported (euclidean or cosine; the reference's 'angular' computes nothing)")
                }
                o.metric.type = t
            case "norm": o.metric.norm = try choice(w, path, GroundMetric.Normalization.self)
            case "reg": o.metric.reg = try number(w, path)
            case "squared": o.metric.squared = try bool(w, path)
            case "clip": o.metric.clip = try bool(w, path)
            case "clip_min": o.metric.clipMin = try number(w, path)
            case "clip_max": o.metric.clipMax = try number(w, path)
            case "mem_eff": _ = try bool(w, path)   // how the reference computes distances; same values
            default: throw fail(path, "unknown key (gnd_metric has: type, norm, reg, squared, clip, clip_min, clip_max, mem_eff)")
            }
        }
    }

    mutating func activations(_ v: Any, _ o: inout FusionOptions) throws {
        guard let m = v as? [String: Any] else { throw fail("fusion.acts", "expected a mapping") }
        for (key, w) in m.sorted(by: { $0.key < $1.key }) {
            let path = "fusion.acts." + key
            switch key {
            case "num_samples":
                let n = try number(w, path)
                guard n >= 1, n == n.rounded(), n < 1e9 else { throw fail(path, "must be a positive integer, found \(w)") }
                o.numSamples = Int(n)
            case "std": o.standardize = try bool(w, path)
            case "center": o.center = try bool(w, path)
            case "norm": o.l2Normalize = try bool(w, path)
            case "seq_filter":
                let s = "\(w)"
                if w is NSNull || s == "None" || s == "null" { o.sequenceFilter = .all }
                else if s == "only_cls" { o.sequenceFilter = .onlyCLS }
                else if ["window_2", "window_4", "window_6", "window_8"].contains(s) {
                    // The reference applies windows only to 65-token sequences (8×8 patches + class token).
                    o.sequenceFilter = .all
                    warnings.append("\(file): \(path) = \(s) keeps every token (the reference applies windows only to sequences of 65 tokens)")
                } else { throw fail(path, "'\(s)' is not one of None, only_cls, window_2, window_4, window_6, window_8") }
            case "seq_pos": unimplemented(path, w, isDefault: (try? number(w, path)) == -1)
            case "avg_seq_items", "loss_thres": unimplemented(path, w, isDefault: isFalse(w))
            case "acts_filter_list": unimplemented(path, w, isDefault: w is NSNull)
            case "mode", "pre_relu", "seed": break   // read by the reference but without effect on fusion
            default: throw fail(path, "unknown key (acts has: num_samples, seq_pos, seq_filter, avg_seq_items, loss_thres, mode, pre_relu, seed, std, center, norm, acts_filter_list)")
            }
        }
    }
}
