/// The element type of a tensor, spelled as the safetensors dtype tag (`F32`, `BF16`, …).
///
/// Every tag the safetensors format defines is representable so that any valid file can be
/// inspected and copied; arithmetic (casting, fusion) is offered for the float types and the
/// integer types Transfuse reads (see `isFloatingPoint`).
public enum DType: String, CaseIterable, Sendable, Codable, CustomStringConvertible {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"
    case c64 = "C64"
    case f8E5M2 = "F8_E5M2"
    case f8E4M3 = "F8_E4M3"
    case f8E8M0 = "F8_E8M0"
    case f8E4M3FNUZ = "F8_E4M3FNUZ"
    case f8E5M2FNUZ = "F8_E5M2FNUZ"
    case f4 = "F4"
    case f6E2M3 = "F6_E2M3"
    case f6E3M2 = "F6_E3M2"

    /// The safetensors tag, e.g. `F32`.
    public var description: String { rawValue }

    /// Bits one element occupies (sub-byte types are packed).
    public var bitWidth: Int {
        switch self {
        case .bool, .u8, .i8, .f8E5M2, .f8E4M3, .f8E8M0, .f8E4M3FNUZ, .f8E5M2FNUZ: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .f64, .i64, .u64, .c64: return 64
        case .f4: return 4
        case .f6E2M3, .f6E3M2: return 6
        }
    }

    /// Alignment the safetensors writer sorts by (bytes per element, at least 1).
    public var alignment: Int { max(1, bitWidth / 8) }

    /// The float types Transfuse can compute with and cast between.
    public var isFloatingPoint: Bool {
        switch self {
        case .f16, .bf16, .f32, .f64: return true
        default: return false
        }
    }

    /// Parses a tag exactly as safetensors spells it (case-sensitive), or a lowercase CLI
    /// spelling such as `f16`, `bf16`, `f32`.
    public init?(tag: String) {
        if let exact = DType(rawValue: tag) { self = exact; return }
        if let lower = DType.allCases.first(where: { $0.rawValue.lowercased() == tag }) { self = lower; return }
        return nil
    }

    /// Bytes needed by `count` elements, or nil when the bit count is not a whole number of
    /// bytes or overflows.
    public func byteCount(elements count: Int) -> Int? {
        let (bits, overflow) = count.multipliedReportingOverflow(by: bitWidth)
        guard !overflow, bits % 8 == 0 else { return nil }
        return bits / 8
    }
}
