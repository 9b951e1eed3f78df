/// A whole-key template such as `bert.encoder.layer.{i}.attention.self.query.weight` or
/// `{prefix}embeddings.LayerNorm.{w}`: literal text with placeholders in braces.
///
/// `{i}` stands for a layer index (a decimal number without leading zeros, at most 9 digits);
/// `{_i}` for Keras's auto-numbering of repeated layers (empty for layer 0, `_N` for layer
/// N ≥ 1: `transformer_encoder`, `transformer_encoder_1`, …); every other placeholder takes
/// one of the values its dialect lists. A key either matches
/// the whole template or not at all: no substring rewriting happens anywhere.
public struct KeyTemplate: Hashable, Sendable, CustomStringConvertible {
    enum Segment: Hashable, Sendable {
        case literal([UInt8])
        case placeholder(String)
    }

    /// The template as written.
    public let text: String
    let segments: [Segment]

    /// The layer placeholder's name.
    public static let layer = "i"
    /// The Keras layer-numbering placeholder's name.
    public static let kerasLayer = "_i"

    /// Parses `text`; fails on unbalanced or empty braces and on adjacent placeholders.
    static func parse(_ text: String) -> Result<KeyTemplate, RuleFileIssue> {
        var segments: [Segment] = []
        var literal = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character == "{" {
                guard let close = text[index...].firstIndex(of: "}") else {
                    return .failure(RuleFileIssue("'\(text)': '{' without '}'"))
                }
                let name = String(text[text.index(after: index)..<close])
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    return .failure(RuleFileIssue("'\(text)': invalid placeholder '{\(name)}'"))
                }
                if !literal.isEmpty { segments.append(.literal(Array(literal.utf8))); literal = "" }
                if case .placeholder = segments.last {
                    return .failure(RuleFileIssue("'\(text)': two placeholders must be separated by literal text"))
                }
                segments.append(.placeholder(name))
                index = text.index(after: close)
            } else if character == "}" {
                return .failure(RuleFileIssue("'\(text)': '}' without '{'"))
            } else {
                literal.append(character)
                index = text.index(after: index)
            }
        }
        if !literal.isEmpty { segments.append(.literal(Array(literal.utf8))) }
        guard !segments.isEmpty else { return .failure(RuleFileIssue("empty key template")) }
        return .success(KeyTemplate(text: text, segments: segments))
    }

    /// Placeholder names used, in order of appearance.
    public var placeholders: [String] {
        segments.compactMap { if case let .placeholder(name) = $0 { return name } else { return nil } }
    }

    /// Whether the template contains `{i}`.
    public var isPerLayer: Bool { placeholders.contains { $0 == KeyTemplate.layer || $0 == KeyTemplate.kerasLayer } }

    /// The placeholder values if `key` matches the whole template, else nil.
    /// - Parameter values: the allowed values of each non-layer placeholder.
    func match(_ key: String, values: [String: [String]] = [:]) -> [String: String]? {
        let characters = Array(key.utf8)
        var captures: [String: String] = [:]
        func matches(_ bytes: [UInt8], at position: Int) -> Bool {
            position + bytes.count <= characters.count
                && characters[position..<position + bytes.count].elementsEqual(bytes)
        }
        func matchFrom(_ segmentIndex: Int, _ position: Int) -> Bool {
            if segmentIndex == segments.count { return position == characters.count }
            switch segments[segmentIndex] {
            case let .literal(bytes):
                return matches(bytes, at: position) && matchFrom(segmentIndex + 1, position + bytes.count)
            case let .placeholder(name) where name == KeyTemplate.kerasLayer:
                if position < characters.count, characters[position] == 95 {   // "_N", N ≥ 1
                    var end = position + 1
                    while end < characters.count, (48...57).contains(characters[end]) { end += 1 }
                    if end > position + 1, end - position <= 10, characters[position + 1] != 48 {
                        captures[KeyTemplate.layer] = String(decoding: characters[position + 1..<end], as: UTF8.self)
                        if matchFrom(segmentIndex + 1, end) { return true }
                    }
                }
                captures[KeyTemplate.layer] = "0"
                if matchFrom(segmentIndex + 1, position) { return true }
                captures[KeyTemplate.layer] = nil
                return false
            case let .placeholder(name) where name == KeyTemplate.layer:
                var end = position
                while end < characters.count, (48...57).contains(characters[end]) { end += 1 }
                guard end > position, end - position <= 9 else { return false }
                if characters[position] == 48, end - position > 1 { return false }
                captures[name] = String(decoding: characters[position..<end], as: UTF8.self)
                return matchFrom(segmentIndex + 1, end)
            case let .placeholder(name):
                for value in values[name] ?? [] {
                    let bytes = Array(value.utf8)
                    guard matches(bytes, at: position) else { continue }
                    captures[name] = value
                    if matchFrom(segmentIndex + 1, position + bytes.count) { return true }
                }
                captures[name] = nil
                return false
            }
        }
        return matchFrom(0, 0) ? captures : nil
    }

    /// The key with every placeholder replaced; nil if a value is missing.
    func expand(_ values: [String: String]) -> String? {
        var result = ""
        for segment in segments {
            switch segment {
            case let .literal(bytes): result += String(decoding: bytes, as: UTF8.self)
            case let .placeholder(name) where name == KeyTemplate.kerasLayer:
                guard let value = values[KeyTemplate.layer] else { return nil }
                if value != "0" { result += "_" + value }
            case let .placeholder(name):
                guard let value = values[name] else { return nil }
                result += value
            }
        }
        return result
    }

    /// The key for layer `layer` (nil for templates without `{i}`) with the given values.
    func expand(layer: Int?, _ values: [String: String]) -> String? {
        var all = values
        if let layer { all[KeyTemplate.layer] = String(layer) }
        return expand(all)
    }

    public var description: String { text }
}
