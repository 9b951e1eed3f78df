import Testing
@testable import WeightStore

/// `Tensor.firstNonFinite()`: the F32 scan over raw bits agrees with `Float.isFinite` element by
/// element, at every position of the 16-wide blocks and the tail.
@Suite struct NonFiniteScanTests {
    @Test("the first NaN or infinity is found wherever it sits", arguments: [1, 15, 16, 17, 33, 100])
    func firstBadValue(count: Int) throws {
        let clean = (0..<count).map { Float($0) * 0.5 - 3 }
        #expect(try Tensor.fromFloats(name: "w", shape: [count], values: clean).firstNonFinite() == nil)
        for bad: Float in [.nan, .infinity, -.infinity, Float(bitPattern: 0x7FC0_0001), Float(bitPattern: 0xFF80_0001)] {
            for position in Set([0, min(15, count - 1), min(16, count - 1), count / 2, count - 1]) {
                var values = clean
                values[position] = bad
                if position + 1 < count { values[count - 1] = .nan }  // a later one must not win
                let found = try #require(try Tensor.fromFloats(name: "w", shape: [count], values: values).firstNonFinite())
                #expect(found.index == position)
                #expect(found.value.bitPattern == bad.bitPattern)
            }
        }
    }

    @Test("largest finite values, subnormals and zeros are finite")
    func edgesAreFinite() throws {
        let values: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -0.0, 0]
            + [Float](repeating: 1, count: 20)
        #expect(try Tensor.fromFloats(name: "w", shape: [values.count], values: values).firstNonFinite() == nil)
    }

    @Test("half precision goes through the widened values")
    func halfPrecision() throws {
        let values: [Float] = [1, 2, .infinity, 4]
        let tensor = try Tensor.fromFloats(name: "w", shape: [4], values: values, dtype: .f16)
        let found = try #require(try tensor.firstNonFinite())
        #expect(found.index == 2 && found.value == .infinity)
    }
}
