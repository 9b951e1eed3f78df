import Foundation
import Testing
import TestSupport
@testable import WeightStore

/// `Tensor.doubles()` for F32 (widened eight at a time) against `floats().map(Double.init)`,
/// value by value, for every length around the 8-wide blocks and from unaligned bytes.
@Suite struct Float32WideningTests {
    /// Random float bit patterns: normal, subnormal, zero, infinite and NaN values.
    static func values(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { k in
            switch k % 5 {
            case 0: return Float(bitPattern: UInt32.random(in: 0...UInt32.max, using: &rng))
            case 1: return Float(bitPattern: UInt32.random(in: 0..<0x0080_0000, using: &rng))  // subnormal
            default: return Float.random(in: -4..<4, using: &rng)
            }
        }
    }

    static func same(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
    }

    @Test("F32 widens exactly, element by element (large tensors in two halves)", arguments: [0, 1, 7, 8, 9, 16, 23, 64, 1001, (1 << 20) + 13])
    func float32(count: Int) throws {
        let tensor = try Tensor.fromFloats(name: "w", shape: [count], values: Self.values(count, seed: UInt64(count)))
        #expect(Self.same(try tensor.doubles(), try tensor.floats().map(Double.init)))
    }

    @Test("F32 bytes that start at an odd address")
    func unaligned() throws {
        let values = Self.values(37, seed: 9)
        var bytes = Data([0xAB])
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        let tensor = try Tensor(name: "w", dtype: .f32, shape: [37], bytes: bytes.dropFirst())
        #expect(Self.same(try tensor.doubles(), values.map(Double.init)))
    }
}
