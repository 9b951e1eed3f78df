import Foundation

/// Parses sizes such as `2GB`, `500MB`, `1GiB`, `1000` into bytes.
///
/// Decimal units (`KB`, `MB`, `GB`, `TB`) are powers of 1000, as Hugging Face's
/// `max_shard_size` uses; binary units (`KiB`, `MiB`, `GiB`, `TiB`) are powers of 1024.
/// Units are case-insensitive; a bare number is bytes.
public enum ByteSize {
    public static func parse(_ text: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digitsEnd = trimmed.firstIndex { !($0.isNumber || $0 == ".") } ?? trimmed.endIndex
        let numberText = String(trimmed[..<digitsEnd])
        let unit = trimmed[digitsEnd...].trimmingCharacters(in: .whitespaces).lowercased()
        let multipliers: [String: Double] = [
            "": 1, "b": 1,
            "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
            "kib": 1024, "mib": 1_048_576, "gib": 1_073_741_824, "tib": 1_099_511_627_776,
        ]
        guard let number = Double(numberText), number > 0, let multiplier = multipliers[unit] else {
            throw StoreError.invalidByteSize(text)
        }
        let bytes = number * multiplier
        guard bytes >= 1, bytes < Double(Int.max) else { throw StoreError.invalidByteSize(text) }
        return Int(bytes)
    }

    /// `1234567` → `"1.23 MB"` (decimal units, three significant digits).
    public static func format(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        if unit == 0 { return "\(bytes) B" }
        return String(format: value >= 100 ? "%.0f %@" : value >= 10 ? "%.1f %@" : "%.2f %@", value, units[unit])
    }
}
