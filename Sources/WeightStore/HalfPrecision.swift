/// Conversions between `Float` and the two 16-bit float formats, as bit patterns.
///
/// Both narrowing conversions round to nearest, ties to even (IEEE 754 default), keep the sign
/// of zero, map overflow to infinity and keep NaN a (quiet) NaN — what PyTorch and numpy do.
public enum HalfPrecision {
    /// IEEE binary16 bits of `value`, rounded to nearest even.
    @inline(__always)
    public static func float16Bits(_ value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// The `Float` of IEEE binary16 bits (exact).
    @inline(__always)
    public static func float(float16Bits bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// bfloat16 bits of `value`: the top 16 bits of the float32, rounded to nearest even.
    @inline(__always)
    public static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: bits >> 16) | 0x0040 }
        let roundingBias: UInt32 = 0x7FFF + ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    /// The `Float` of bfloat16 bits (exact).
    @inline(__always)
    public static func float(bfloat16Bits bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
