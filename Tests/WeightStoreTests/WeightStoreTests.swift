import Foundation
import Testing
@testable import WeightStore

@Suite struct WeightStoreTests {
    func tensor(_ name: String, _ values: [Float], _ shape: [Int]) throws -> Tensor {
        try Tensor.fromFloats(name: name, shape: shape, values: values)
    }

    @Test func keepsOrderAndRejectsDuplicates() throws {
        var store = try WeightStore(tensors: [tensor("b", [1, 2], [2]), tensor("a", [3], [1])])
        #expect(store.names == ["b", "a"])
        #expect(throws: StoreError.duplicateTensor("a")) { try store.append(tensor("a", [4], [1])) }
        store.remove("b")
        #expect(store.names == ["a"])
        #expect(store["a"]?.shape == [1])
        store.set(try tensor("c", [], [0]))
        #expect(store.names == ["a", "c"])
        #expect(store.parameterCount == 1)
    }

    @Test func tensorChecksByteCountAgainstShape() {
        #expect(throws: StoreError.self) { try Tensor(name: "x", dtype: .f32, shape: [2, 3], bytes: Data(count: 20)) }
        #expect(throws: StoreError.self) { try Tensor(name: "x", dtype: .f32, shape: [-1], bytes: Data()) }
        #expect(throws: StoreError.self) { try Tensor(name: "x", dtype: .f32, shape: [Int.max, 4], bytes: Data()) }
    }

    @Test func scalarsAndEmptyTensors() throws {
        let scalar = try tensor("s", [2.5], [])
        #expect(scalar.elementCount == 1 && scalar.byteCount == 4)
        let empty = try tensor("e", [], [0, 7])
        #expect(empty.elementCount == 0 && empty.byteCount == 0)
        #expect(try empty.floats().isEmpty)
    }

    @Test(arguments: [DType.f64, .f32, .f16, .bf16])
    func castRoundTripsRepresentableValues(dtype: DType) throws {
        let values: [Float] = [0, -0.0, 1, -2, 0.5, 1024, -3.25, .infinity]
        let source = try tensor("w", values, [2, 4])
        let cast = try source.castingFloat(to: dtype)
        #expect(cast.dtype == dtype && cast.shape == [2, 4])
        #expect(try cast.floats() == values)
        #expect(try cast.castingFloat(to: .f32).floats() == values)
    }

    @Test func castLeavesIntegerTensorsAlone() throws {
        let ids = try Tensor(name: "position_ids", dtype: .i64, shape: [3],
                             bytes: [Int64(0), 1, 2].withUnsafeBytes { Data($0) })
        let cast = try ids.castingFloat(to: .f16)
        #expect(cast.dtype == .i64)
        #expect(try cast.doubles() == [0, 1, 2])
    }

    @Test func doublesReadsEveryNumericType() throws {
        let bytes = Data([0, 1, 255, 128])
        #expect(try Tensor(name: "u", dtype: .u8, shape: [4], bytes: bytes).doubles() == [0, 1, 255, 128])
        #expect(try Tensor(name: "i", dtype: .i8, shape: [4], bytes: bytes).doubles() == [0, 1, -1, -128])
        #expect(try Tensor(name: "b", dtype: .bool, shape: [4], bytes: bytes).doubles() == [0, 1, 1, 1])
        #expect(throws: StoreError.self) { try Tensor(name: "f8", dtype: .f8E4M3, shape: [4], bytes: bytes).doubles() }
    }

    @Test(arguments: [("2GB", 2_000_000_000), ("500MB", 500_000_000), ("1GiB", 1_073_741_824),
                      ("10kb", 10_000), ("4096", 4096), ("1.5GB", 1_500_000_000)])
    func parsesByteSizes(text: String, bytes: Int) throws {
        #expect(try ByteSize.parse(text) == bytes)
    }

    @Test(arguments: ["", "GB", "-1GB", "2XB", "0", "1e400GB"])
    func rejectsBadByteSizes(text: String) {
        #expect(throws: StoreError.self) { try ByteSize.parse(text) }
    }

    @Test func subByteDtypesNeedWholeBytes() {
        #expect(DType.f4.byteCount(elements: 4) == 2)
        #expect(DType.f4.byteCount(elements: 3) == nil)
        #expect(DType.f6E2M3.byteCount(elements: 4) == 3)
        #expect(DType(tag: "bf16") == .bf16 && DType(tag: "BF16") == .bf16 && DType(tag: "Bf16") == nil)
    }
}
