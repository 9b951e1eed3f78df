/// Where a tensor lives in the canonical layout (Schemas/HDF5-LAYOUT.md, "Names and paths").
///
/// A name is stored *nested* — split at every `.`, each part a group and the last part the
/// dataset — when every part is non-empty and free of `/` and NUL, the first part is not
/// `__escaped__`, and the path does not collide with a tensor placed before it (a dataset
/// where a group is needed or the reverse, as `a.b` next to `a.b.c`). Every other name is
/// stored *escaped*: dataset `/__escaped__/<percent-encoded name>`.
public enum CanonicalPaths {
    /// The root group holding escaped tensors.
    public static let escapedGroup = "__escaped__"

    /// The components of the path of each name, in order (`["vit", "embeddings", "cls_token"]`,
    /// or `["__escaped__", "a%2Eb"]`). Placement depends only on the names before, so a
    /// reader can also just look for the escaped dataset first.
    /// - Complexity: O(total name length).
    public static func assign(_ names: [String]) -> [[String]] {
        var datasets = Set<String>()
        var groups = Set<String>()
        return names.map { name in
            if let parts = plainSegments(name) {
                let path = parts.joined(separator: "/")
                let prefixes = (1..<parts.count).map { parts[0..<$0].joined(separator: "/") }
                if !groups.contains(path), !datasets.contains(path), !prefixes.contains(where: datasets.contains) {
                    datasets.insert(path)
                    groups.formUnion(prefixes)
                    return parts
                }
            }
            return [escapedGroup, escapedLinkName(name)]
        }
    }

    /// The parts of `name` split at `.` when it may be stored nested on its own (ignoring
    /// collisions with other names), else nil.
    public static func plainSegments(_ name: String) -> [String]? {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard !name.isEmpty, parts.first != escapedGroup,
              parts.allSatisfy({ !$0.isEmpty && !$0.utf8.contains(UInt8(ascii: "/")) && !$0.utf8.contains(0) })
        else { return nil }
        return parts
    }

    /// The link name of an escaped tensor: every UTF-8 byte of `name` except `A–Z a–z 0–9
    /// - _ ~` written as `%XX` (uppercase hex), and `%` alone for the empty name. Python:
    /// `urllib.parse.quote(name, safe="").replace(".", "%2E") or "%"`.
    public static func escapedLinkName(_ name: String) -> String {
        if name.isEmpty { return "%" }
        var out = ""
        for byte in name.utf8 {
            if isUnreserved(byte) {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }

    /// The name an escaped link name stands for, or nil when `link` is not a valid escape.
    public static func unescape(_ link: String) -> String? {
        if link == "%" { return "" }
        var bytes: [UInt8] = []
        var iterator = Array(link.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next(), let low = iterator.next(),
                      let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(value)
            } else {
                guard isUnreserved(byte) else { return nil }
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
