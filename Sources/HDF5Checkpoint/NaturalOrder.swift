/// "Natural" ordering of link names, so that `layer.10` follows `layer.9`: names are
/// compared as runs of digits (by numeric value) and runs of other characters (by UTF-8
/// bytes); names that compare equal that way (`01` and `1`) fall back to byte order, so the
/// order is total and deterministic.
enum NaturalOrder {
    static func precedes(_ a: String, _ b: String) -> Bool {
        let left = runs(a), right = runs(b)
        for (x, y) in zip(left, right) where x != y {
            switch (x, y) {
            case let (.number(p), .number(q)):
                if p.count != q.count { return p.count < q.count }
                return p.lexicographicallyPrecedes(q)
            case let (.text(p), .text(q)):
                return p.lexicographicallyPrecedes(q)
            case (.number, .text):
                return true
            case (.text, .number):
                return false
            }
        }
        if left.count != right.count { return left.count < right.count }
        return Array(a.utf8).lexicographicallyPrecedes(Array(b.utf8))
    }

    private enum Run: Equatable {
        /// Digits with leading zeros removed (so length orders magnitude).
        case number([UInt8])
        case text([UInt8])
    }

    private static func runs(_ name: String) -> [Run] {
        var result: [Run] = []
        var current: [UInt8] = []
        var inDigits = false
        func flush() {
            guard !current.isEmpty else { return }
            result.append(inDigits ? .number(Array(current.drop(while: { $0 == UInt8(ascii: "0") }))) : .text(current))
            current = []
        }
        for byte in name.utf8 {
            let digit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            if digit != inDigits { flush(); inDigits = digit }
            current.append(byte)
        }
        flush()
        return result
    }
}
