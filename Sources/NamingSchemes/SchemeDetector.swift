import Foundation
import WeightStore

/// A checkpoint's naming scheme, the variant it uses, and its architecture.
public struct DetectedScheme: Sendable, Equatable {
    /// Scheme name, e.g. `hf-bert`.
    public let scheme: String
    public let dialect: String
    /// Placeholder values (e.g. `prefix: "bert."`, `w: "gamma"`); restoring them restores the
    /// original names.
    public let variant: [String: String]
    public let architecture: Architecture

    /// `hf-bert (prefix 'bert.')`, for `inspect`.
    public var summary: String {
        let parts = variant.sorted { $0.key < $1.key }.map { "\($0.key) '\($0.value)'" }
        return parts.isEmpty ? "\(scheme) (\(dialect))" : "\(scheme) (\(dialect); \(parts.joined(separator: ", ")))"
    }
}

/// Finds the naming scheme and architecture of a store.
public enum SchemeDetector {
    /// The scheme that maps every tensor, and the architecture.
    ///
    /// Among schemes that map every key, the highest `priority` wins (so a store in Hugging
    /// Face names is `hf-bert`, not `canonical`, unless it is marked canonical in its metadata);
    /// equal priorities are ambiguous.
    /// - Parameters:
    ///   - scheme: a scheme name to use instead of detecting (`--scheme`).
    ///   - heads: the head count from `--heads`, checked against the config and shapes.
    /// - Throws: `NamingSchemeError` — no scheme, unmapped keys, wrong shapes, config
    ///   disagreeing with shapes, missing required tensors.
    public static func detect(_ store: WeightStore, scheme: String? = nil, heads: Int? = nil,
                              registry: SchemeRegistry) throws -> DetectedScheme {
        try SchemeConverter.toCanonical(store, scheme: scheme, heads: heads, registry: registry).detected
    }

    /// The match to convert with: the named scheme, or the best full match.
    static func bestMatch(_ store: WeightStore, scheme name: String?, registry: SchemeRegistry) throws -> SchemeMatch {
        guard store.count > 0 else { throw NamingSchemeError.emptyStore }
        let candidates = try name.map { try registry.schemes(named: $0) } ?? registry.schemes
        var matches: [SchemeMatch] = []
        var failures: [(label: String, error: Error)] = []
        for scheme in candidates {
            do { matches.append(try SchemeMatch.match(store, scheme)) } catch { failures.append((scheme.name, error)) }
        }
        let full = matches.filter { $0.unmatched.isEmpty }
        if full.isEmpty {
            if name != nil, matches.isEmpty, let failure = failures.first { throw failure.error }
            guard let closest = matches.min(by: { $0.unmatched.count < $1.unmatched.count }) else {
                throw failures.first?.error ?? NamingSchemeError.emptyStore
            }
            if name != nil || closest.entries.count > 0 && candidates.count == 1 {
                throw NamingSchemeError.unmappedTensors(scheme: closest.label, keys: closest.unmatched)
            }
            throw NamingSchemeError.noSchemeMatches(closest: closest.label, unmatched: closest.unmatched,
                                                    tried: registry.schemeNames)
        }
        let markedCanonical = store.metadata[MetadataKey.layout] == "canonical"
        func rank(_ match: SchemeMatch) -> Int {
            markedCanonical && match.scheme.name == "canonical" ? Int.max : match.scheme.priority
        }
        let top = full.map(rank).max()!
        let best = full.filter { rank($0) == top }
        guard best.count == 1 else { throw NamingSchemeError.ambiguousScheme(candidates: best.map(\.label)) }
        return best[0]
    }
}

/// Metadata keys Transfuse sets on canonical stores so that converting back restores the
/// original names.
public enum MetadataKey {
    /// `"canonical"` on a store in the canonical layout.
    public static let layout = "transfuse.layout"
    /// The scheme a canonical store was converted from.
    public static let sourceScheme = "transfuse.source_scheme"
    /// The head count found from shapes or `--heads` when the config does not give it, so
    /// that a canonical file can be converted back to schemes that split heads.
    public static let heads = "transfuse.heads"
    /// `transfuse.variant.<scheme>`: JSON `{"dialect": …, "values": {…}}` of a non-default
    /// variant of `<scheme>`.
    public static func variant(_ scheme: String) -> String { "transfuse.variant.\(scheme)" }
}
