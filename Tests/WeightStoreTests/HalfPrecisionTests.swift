import Foundation
import Testing
@testable import WeightStore

/// Half-precision rounding against numpy (float16) and ml_dtypes (bfloat16), see
/// Fixtures/make_fixtures.py.
@Suite struct HalfPrecisionTests {
    struct Reference: Decodable {
        let float32_bits: [UInt32]
        let float16_bits: [UInt16]
        let bfloat16_bits: [UInt16]
    }

    static func reference() throws -> Reference {
        let url = try #require(Bundle.module.url(forResource: "half_precision", withExtension: "json", subdirectory: "Fixtures"))
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    @Test func float16RoundsLikeNumpy() throws {
        let ref = try Self.reference()
        #expect(ref.float32_bits.count > 800)
        for (bits, expected) in zip(ref.float32_bits, ref.float16_bits) {
            let value = Float(bitPattern: bits)
            #expect(HalfPrecision.float16Bits(value) == expected, "float32 \(value) (0x\(String(bits, radix: 16)))")
        }
    }

    @Test func bfloat16RoundsLikeMLDtypes() throws {
        let ref = try Self.reference()
        for (bits, expected) in zip(ref.float32_bits, ref.bfloat16_bits) {
            let value = Float(bitPattern: bits)
            #expect(HalfPrecision.bfloat16Bits(value) == expected, "float32 \(value) (0x\(String(bits, radix: 16)))")
        }
    }

    @Test func widening16BitFormatsIsExact() {
        for bits in UInt16.min...UInt16.max {
            let half = HalfPrecision.float(float16Bits: bits)
            if half.isNaN { continue }
            #expect(HalfPrecision.float16Bits(half) == bits)
            let brain = HalfPrecision.float(bfloat16Bits: bits)
            if brain.isNaN { continue }
            #expect(HalfPrecision.bfloat16Bits(brain) == bits)
        }
    }

    @Test func nanStaysNaN() {
        #expect(HalfPrecision.float(bfloat16Bits: HalfPrecision.bfloat16Bits(.nan)).isNaN)
        #expect(HalfPrecision.float(float16Bits: HalfPrecision.float16Bits(.nan)).isNaN)
        // A signalling-looking NaN whose payload lives in the low bits must not become infinity.
        let lowPayloadNaN = Float(bitPattern: 0x7F80_0001)
        #expect(HalfPrecision.float(bfloat16Bits: HalfPrecision.bfloat16Bits(lowPayloadNaN)).isNaN)
    }
}
