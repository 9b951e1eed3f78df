import Foundation
import Testing
import TestSupport
import WeightStore
@testable import SafeTensors

/// A source with the right byte count that must never be read (a template's placeholder).
private final class UnreadableSource: TensorSource, @unchecked Sendable {
    let byteCount: Int
    init(byteCount: Int) { self.byteCount = byteCount }
    struct NotReady: Error {}
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R { throw NotReady() }
}

@Suite("Streamed safetensors writes")
struct StreamWriterTests {
    /// Mixed dtypes and shapes, names out of data order, with metadata.
    static func sampleStore() throws -> WeightStore {
        let specs: [(String, DType, [Int])] = [("z.weight", .f32, [5, 3]), ("a.bias", .f16, [7]), ("m.ids", .i64, [4]),
                                               ("empty", .f32, [0, 4]), ("b.scale", .bf16, [2, 2]), ("c.mask", .u8, [9]),
                                               ("scalar", .f64, [])]
        let tensors = try specs.enumerated().map { i, s in try TestFiles.tensor(s.0, s.1, s.2, seed: UInt64(10 + i)) }
        return try WeightStore(tensors: tensors, metadata: ["note": "streamed"])
    }

    static func template(_ store: WeightStore) throws -> WeightStore {
        try WeightStore(tensors: store.tensors.map {
            try Tensor(name: $0.name, dtype: $0.dtype, shape: $0.shape, source: UnreadableSource(byteCount: $0.byteCount))
        }, metadata: store.metadata)
    }

    @Test("Tensors written in any order give the bytes of the one-shot writer", arguments: [0, 1, 2])
    func anyOrderSameBytes(permutationSeed: Int) throws {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let store = try Self.sampleStore()
        let whole = folder.appendingPathComponent("whole.safetensors").path
        try SafeTensorsWriter.write(store, to: whole)
        // From a mapped copy too, so that the file-to-file path is taken for some tensors.
        let mapped = try SafeTensorsReader.read(path: whole)
        var order = Array(store.tensors.indices)
        var generator = SplitMix64(seed: UInt64(permutationSeed))
        for i in order.indices.reversed() { order.swapAt(i, Int(generator.next() % UInt64(i + 1))) }
        let streamed = folder.appendingPathComponent("streamed.safetensors").path
        let writer = try SafeTensorsStreamWriter(path: streamed, template: try Self.template(store))
        #expect(writer.remaining == store.count)
        for (n, i) in order.enumerated() {
            try writer.write(n % 2 == 0 ? mapped.tensors[i] : store.tensors[i])
        }
        #expect(writer.remaining == 0)
        try writer.finish()
        #expect(try Data(contentsOf: URL(fileURLWithPath: streamed)) == Data(contentsOf: URL(fileURLWithPath: whole)))
    }

    @Test("Unknown, mismatched, repeated and missing tensors are refused; a source that cannot be read writes nothing")
    func refusals() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let store = try Self.sampleStore()
        let path = folder.appendingPathComponent("out.safetensors").path
        let writer = try SafeTensorsStreamWriter(path: path, template: try Self.template(store))
        func mismatch(_ body: () throws -> Void) -> String? {
            do { try body() } catch let error as SafeTensorsError {
                if case let .streamMismatch(p, tensor, _) = error, p == path { return tensor }
            } catch {}
            return nil
        }
        #expect(mismatch { try writer.write(try TestFiles.tensor("other", .f32, [2])) } == "other")
        #expect(mismatch { try writer.write(try TestFiles.tensor("z.weight", .f32, [3, 5])) } == "z.weight")
        #expect(mismatch { try writer.write(try TestFiles.tensor("z.weight", .f16, [5, 3])) } == "z.weight")
        #expect(throws: UnreadableSource.NotReady.self) { try writer.write(try Self.template(store).tensors[0]) }
        #expect(writer.remaining == store.count)
        try writer.write(store.tensors[0])
        #expect(mismatch { try writer.write(store.tensors[0]) } == "z.weight")
        #expect(mismatch { try writer.finish() } == "a.bias")
    }
}
