/// A JSON value that keeps object members in the order the text lists them, duplicates
/// included — what a safetensors header and a sharded index need, since Foundation's
/// `JSONSerialization` and Rust's serde both drop duplicate keys silently and lose order.
///
/// Numbers keep their literal text (`"42"`, `"-1.5e3"`), so integers beyond 2^53 are never
/// rounded through `Double`.
indirect enum JSONValue: Equatable, Sendable {
    case object([Member])
    case array([JSONValue])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// One `"key": value` pair of an object, in text order.
    struct Member: Equatable, Sendable {
        var key: String
        var value: JSONValue
    }

    /// What the value is, for messages: `"a string"`, `"an integer"`, …
    var kindDescription: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case let .number(text): return "the number \(text)"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    /// The value of a non-negative integer literal without fraction or exponent (`0`, `42`),
    /// or nil for anything else (negative numbers, `1.0`, `1e3`, strings, values > 2^64 − 1).
    var unsignedInteger: UInt64? {
        guard case let .number(text) = self, !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return UInt64(text)
    }
}
