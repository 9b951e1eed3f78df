import ArgumentParser
import Foundation
import Fusion
import Yams

/// The settings `transfuse sweep` runs, read from a YAML grid file (or ``SweepGrid/defaultYAML``).
///
/// Schema (every section optional, any other top-level key is a usage error):
/// - `base:` a `fusion:` section in the keys `fuse --config` takes, plus the sweep's own key
///   `anchor` (a model index). Every setting starts from it; default: Transfuse's defaults, anchor 0.
/// - `vary:` axis → list of values. Each value is tried alone on top of `base` (an ablation).
/// - `product:` axis → list of values. Every combination of the axes is tried on top of `base`.
/// - `baselines:` `true` (default) or `false`: also evaluate the parents and the vanilla average.
///
/// An axis is named by the key it sets (`qk_fusion: [joint, eq_t_map]`; dotted keys reach nested
/// sections: `gnd_metric.squared: [true]`). A list item that is a mapping sets several keys
/// together, and the axis name is then only a name (`solver: [{ot_solver: sinkhorn, sinkhorn_reg: 0.05}]`).
/// `anchor` takes model indices or `each` (every model). The `base` setting itself is always
/// run first; a setting equal to an earlier one (same resolved options) is run once.
struct SweepGrid {
    /// One key set to one value (`key` may be dotted), with the value as written in the file.
    struct Assignment {
        let key: String
        let value: Any
        let text: String
    }

    /// A list of alternatives, each a set of assignments.
    struct Axis {
        let name: String
        /// Where it is in the file, for messages: `vary.qk_fusion`.
        let location: String
        /// The alternatives; empty when `eachModel`.
        let values: [[Assignment]]
        /// `anchor: each`: one alternative per model, known only when the models are.
        var eachModel = false
    }

    /// The file's path, or `the default grid`.
    let source: String
    /// The `base:` section as assignments (its keys in file order).
    var base: [Assignment] = []
    var vary: [Axis] = []
    var product: [Axis] = []
    var baselines = true

    /// Keys the sweep handles itself rather than `FusionOptions`.
    static let sweepKeys: Set<String> = ["anchor"]

    /// The default grid: alignment × solver (EMD, Sinkhorn at four regularisations) as a product,
    /// then every other option alone from Transfuse's defaults.
    static let defaultYAML = """
        product:
          type: [wts, acts]
          solver:
            - {ot_solver: emd}
            - {ot_solver: sinkhorn, sinkhorn_reg: 0.01}
            - {ot_solver: sinkhorn, sinkhorn_reg: 0.05}
            - {ot_solver: sinkhorn, sinkhorn_reg: 0.08}
            - {ot_solver: sinkhorn, sinkhorn_reg: 0.2}
        vary:
          qk_fusion: [separate, joint, eq_t_map]
          resid_policy: [no_resid, only_resid, mean,
                         weighted_scalar, weighted_matrix, resid_as_identity]
          heads: [cross, within]
          anchor: each
          stream_alignment: [per_layer, global]
          compat: [reference]
          repair: [false, true]
          refit: [false, true]
        """

    /// Parses a grid (structure only; values are checked by ``settings(modelCount:)``).
    /// - Throws: `ValidationError` naming the file and the key.
    init(yaml text: String, source: String) throws {
        self.source = source
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ValidationError("\(source): not valid YAML: \(error)")
        }
        guard let root else { return }
        guard let document = root.mapping else {
            throw ValidationError("\(source): expected a mapping with base:, vary:, product: or baselines:")
        }
        for (keyNode, value) in document {
            let key = keyNode.string ?? "\(keyNode)"
            switch key {
            case "base":
                guard let mapping = value.mapping else { throw ValidationError("\(source): base: expected a mapping (a fusion: section)") }
                base = try mapping.map { try Self.assignment($0.key, $0.value, at: "base", source: source) }
            case "vary", "product":
                guard let mapping = value.mapping else { throw ValidationError("\(source): \(key): expected a mapping of key → list of values") }
                let axes = try mapping.map { try Self.axis($0.key, $0.value, section: key, source: source) }
                if key == "vary" { vary = axes } else { product = axes }
            case "baselines":
                guard let flag = Constructor.default.any(from: value) as? Bool else {
                    throw ValidationError("\(source): baselines: expected true or false, found '\(value.string ?? "\(value)")'")
                }
                baselines = flag
            default:
                throw ValidationError("\(source): \(key): unknown key; a grid has base:, vary:, product: and baselines:")
            }
        }
    }

    /// The built-in ablation.
    static func standard() throws -> SweepGrid { try SweepGrid(yaml: defaultYAML, source: "the default grid") }

    private static func assignment(_ keyNode: Node, _ value: Node, at section: String, source: String) throws -> Assignment {
        guard let key = keyNode.string, !key.isEmpty else { throw ValidationError("\(source): \(section): keys must be strings") }
        let text = value.scalar?.string ?? "\(Constructor.default.any(from: value))"
        return Assignment(key: key, value: Constructor.default.any(from: value), text: text)
    }

    private static func axis(_ keyNode: Node, _ value: Node, section: String, source: String) throws -> Axis {
        guard let name = keyNode.string, !name.isEmpty else { throw ValidationError("\(source): \(section): keys must be strings") }
        let location = "\(section).\(name)"
        if name == "anchor", value.scalar?.string == "each" {
            return Axis(name: name, location: location, values: [], eachModel: true)
        }
        guard let items = value.sequence, !items.isEmpty else {
            throw ValidationError("\(source): \(location): expected a non-empty list of values\(name == "anchor" ? " (or each)" : "")")
        }
        let values: [[Assignment]] = try items.enumerated().map { i, item in
            if let mapping = item.mapping {
                guard !mapping.isEmpty else { throw ValidationError("\(source): \(location)[\(i)]: an empty mapping sets nothing") }
                return try mapping.map { try assignment($0.key, $0.value, at: "\(location)[\(i)]", source: source) }
            }
            guard item.scalar != nil else {
                throw ValidationError("\(source): \(location)[\(i)]: expected a value or a mapping of keys to values")
            }
            return [try assignment(keyNode, item, at: location, source: source)]
        }
        return Axis(name: name, location: location, values: values)
    }
}

/// One row of the sweep: a parent, the vanilla average, or a fusion setting.
struct SweepSetting {
    enum Kind: Equatable { case parent(Int), vanilla, fused }
    let kind: Kind
    /// `default`, `base`, or the assignments that differ from the base (`qk_fusion=joint`).
    let label: String
    /// The assignments as written (key → value text), in order; empty for baselines and the base.
    let assignments: [(key: String, value: String)]
    let options: FusionOptions
}

extension SweepGrid {
    /// The settings to run, in order: the parents and vanilla (with `baselines`), the base,
    /// the product, then each `vary` value alone. Resolves and checks every setting before
    /// anything runs; duplicates (same resolved options as an earlier setting) are left out.
    /// - Parameters:
    ///   - modelLabels: the models' paths (for the parents' rows and `anchor: each`).
    ///   - weights: `--weights` if given (applied to every setting).
    ///   - defaults: where a setting starts, as `fuse` does: Transfuse's defaults for the
    ///     family and data, or the plain ``FusionOptions`` when the setting has `compat: reference`.
    /// - Returns: the settings, the left-out duplicates (label, label of the equal setting)
    ///   and the configuration warnings (each once).
    /// - Throws: `ValidationError` naming the file, the grid location of the key and the problem.
    func settings(modelLabels: [String], weights: [Double]?, defaults: FusionOptions = FusionOptions()) throws
        -> (settings: [SweepSetting], duplicates: [(label: String, sameAs: String)], warnings: [String]) {
        var warnings: [String] = []
        let base = try resolve([], modelCount: modelLabels.count, weights: weights, defaults: defaults, warnings: &warnings)
        var settings: [SweepSetting] = []
        if baselines {
            for (k, label) in modelLabels.enumerated() {
                settings.append(SweepSetting(kind: .parent(k), label: label, assignments: [], options: base))
            }
            var vanilla = base
            vanilla.method = .vanilla
            vanilla.repair = nil   // the plain average, as `fuse --eval` reports it
            vanilla.refit = nil
            settings.append(SweepSetting(kind: .vanilla, label: "vanilla", assignments: [], options: vanilla))
        }
        let isDefault = self.base.isEmpty
        settings.append(SweepSetting(kind: .fused, label: isDefault ? "default" : "base", assignments: [], options: base))

        func expand(_ axis: Axis) -> [[Assignment]] {
            guard axis.eachModel else { return axis.values }
            return modelLabels.indices.map { [Assignment(key: "anchor", value: $0, text: "\($0)")] }
        }
        var combinations: [[(Axis, [Assignment])]] = product.isEmpty ? [] : [[]]
        for axis in product {
            combinations = combinations.flatMap { prefix in expand(axis).map { prefix + [(axis, $0)] } }
        }
        var candidates: [[(Axis, [Assignment])]] = combinations
        for axis in vary { candidates += expand(axis).map { [(axis, $0)] } }

        var duplicates: [(String, String)] = []
        for choice in candidates {
            let assignments = choice.flatMap { axis, values in values.map { (axis, $0) } }
            let options = try resolve(assignments, modelCount: modelLabels.count, weights: weights, defaults: defaults,
                                      warnings: &warnings)
            let label = assignments.map { "\($0.1.key)=\($0.1.text)" }.joined(separator: " ")
            if let same = settings.first(where: { $0.kind == .fused && $0.options == options }) {
                duplicates.append((label, same.label))
                continue
            }
            settings.append(SweepSetting(kind: .fused, label: label, assignments: assignments.map { ($0.1.key, $0.1.text) },
                                         options: options))
        }
        var seen = Set<String>()
        return (settings, duplicates, warnings.filter { seen.insert($0).inserted })
    }

    /// The options of `base` with `assignments` on top, starting from `defaults` (or from the
    /// plain options under `compat: reference`, as `fuse --config` does).
    private func resolve(_ assignments: [(Axis, Assignment)], modelCount: Int, weights: [Double]?, defaults: FusionOptions,
                         warnings: inout [String]) throws -> FusionOptions {
        var fusion: [String: Any] = [:]
        var anchor: (value: Any, location: String)? = nil
        var origins: [String: String] = [:]   // top-level fusion key → grid location, for messages
        let all = base.map { (location: "base", assignment: $0) } + assignments.map { (location: $0.0.location, assignment: $0.1) }
        for (location, a) in all {
            if Self.sweepKeys.contains(a.key) {
                anchor = (a.value, location)
                continue
            }
            let path = a.key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !path.contains(where: \.isEmpty) else { throw ValidationError("\(source): \(location): '\(a.key)' is not a key path") }
            fusion = Self.merging(fusion, path: path[...], value: a.value)
            origins[path[0]] = location
        }
        var options: FusionOptions
        do {
            let resolved = try FusionOptions.resolving(over: defaults) { try $0.apply(fusion: fusion, file: source) }
            options = resolved.options
            warnings += resolved.warnings
        } catch let FusionError.invalidConfig(_, key, reason) {
            let relative = key.hasPrefix("fusion.") ? String(key.dropFirst("fusion.".count)) : key
            let top = String(relative.split(separator: ".").first ?? "")
            let location = origins[top] ?? "base"
            let shown = location.hasSuffix("." + relative) ? location : "\(location): \(relative)"
            throw ValidationError("\(source): \(shown): \(reason)")
        }
        if let anchor {
            guard let index = anchor.value as? Int else {
                throw ValidationError("\(source): \(anchor.location): anchor must be a model index (0…\(modelCount - 1)) or each, found '\(anchor.value)'")
            }
            guard (0..<modelCount).contains(index) else {
                throw ValidationError("\(source): \(anchor.location): anchor \(index) is out of range: \(modelCount) models, indices 0…\(modelCount - 1)")
            }
            options.anchor = index
        }
        options.modelWeights = weights
        return options
    }

    /// `mapping` with `value` set at the key path (nested mappings created or merged).
    private static func merging(_ mapping: [String: Any], path: ArraySlice<String>, value: Any) -> [String: Any] {
        var out = mapping
        guard let key = path.first else { return out }
        if path.count == 1 {
            if let existing = out[key] as? [String: Any], let new = value as? [String: Any] {
                out[key] = existing.merging(new) { _, b in b }
            } else {
                out[key] = value
            }
        } else {
            out[key] = merging(out[key] as? [String: Any] ?? [:], path: path.dropFirst(), value: value)
        }
        return out
    }
}
