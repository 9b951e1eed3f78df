import Foundation
import HDF5Kit
import Testing

@Suite("HDF5Kit wrapper")
struct HDF5KitTests {
    @Test("Chunk shapes keep whole inner rows near the target size",
          arguments: [([1000, 1000], 4, [262, 1000]), ([10], 4, [10]), ([3, 1 << 20], 4, [1, 262_144]),
                      ([2, 3, 4], 8, [2, 3, 4]), ([5000, 300, 300], 2, [5, 300, 300])])
    func chunkShapes(_ shape: [Int], _ size: Int, _ expected: [Int]) {
        let chunk = HDF5DatasetOptions.chunkShape(for: shape, elementSize: size, targetBytes: 1 << 20)
        #expect(chunk == expected)
    }

    @Test("Scalars and zero-size shapes are never chunked")
    func noChunks() {
        #expect(HDF5DatasetOptions.chunkShape(for: [], elementSize: 4, targetBytes: 1 << 20) == nil)
        #expect(HDF5DatasetOptions.chunkShape(for: [0, 5], elementSize: 4, targetBytes: 1 << 20) == nil)
    }

    @Test("Element types are recognised after a trip through a file",
          arguments: HDF5ElementType.allCases)
    func elementTypes(_ element: HDF5ElementType) throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("types.h5").path
        let type = try HDF5Datatype.element(element)
        #expect(type.size == element.byteSize)
        let file = try HDF5File.create(path)
        let dataset = try file.root().createDataset("x", type: type, shape: [3])
        let bytes = (0..<(3 * element.byteSize)).map { UInt8($0 % 2) }
        try bytes.withUnsafeBytes { try dataset.write($0, memoryType: type) }
        try file.flush()
        let reopened = try HDF5File.openReadOnly(path).root().openDataset("x")
        #expect(try reopened.datatype().elementType == element)
        #expect(try reopened.readBytes(memoryType: type) == Data(bytes))
    }

    @Test("float16 and bfloat16 convert to float32 with HDF5's own conversion")
    func halfConversion() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("half.h5").path
        let file = try HDF5File.create(path)
        // 1.5, -2, 65504 in float16; 1.5, -2, 3.3895314e38 in bfloat16.
        let cases: [(HDF5ElementType, [UInt16], [Float])] = [
            (.float16, [0x3E00, 0xC000, 0x7BFF], [1.5, -2, 65504]),
            (.bfloat16, [0x3FC0, 0xC000, 0x7F7F], [1.5, -2, 3.3895314e38]),
        ]
        for (element, bits, floats) in cases {
            let type = try HDF5Datatype.element(element)
            let dataset = try file.root().createDataset(element.rawValue, type: type, shape: [3])
            try bits.withUnsafeBytes { try dataset.write($0, memoryType: type) }
            let asFloat = try dataset.readBytes(memoryType: HDF5Datatype.element(.float32))
            let values = asFloat.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            #expect(values == floats, "\(element)")
        }
    }

    @Test("String and integer attributes round-trip; links list in creation order when tracked")
    func attributesAndLinks() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("attrs.h5").path
        let file = try HDF5File.create(path)
        let root = try file.root()
        try root.writeString("ünïcødé \"json\"", attribute: "text")
        try root.writeInt(-7, attribute: "number")
        for name in ["zeta", "alpha", "mid"] { _ = try root.createGroup(name) }
        #expect(try root.readString(attribute: "text") == "ünïcødé \"json\"")
        #expect(try root.readInt(attribute: "number") == -7)
        #expect(try root.attributeNames() == ["number", "text"])
        let listing = try root.links()
        #expect(listing.creationOrdered)
        #expect(listing.links.map(\.name) == ["zeta", "alpha", "mid"])
        #expect(throws: HDF5Error.self) { try root.writeString("nul\u{0}", attribute: "bad") }
        #expect(throws: HDF5Error.self) { try root.readInt(attribute: "text") }
    }

    @Test("Writing with a wrong byte count is refused before HDF5 sees the buffer")
    func byteCountCheck() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try HDF5File.create(folder.appendingPathComponent("x.h5").path)
        let type = try HDF5Datatype.element(.float32)
        let dataset = try file.root().createDataset("x", type: type, shape: [2, 2])
        #expect(throws: HDF5Error.self) { try [Float](repeating: 0, count: 3).withUnsafeBytes { try dataset.write($0, memoryType: type) } }
        #expect(throws: HDF5Error.self) { try [Float](repeating: 0, count: 2).withUnsafeBytes { try dataset.write($0, memoryType: type, rows: 1..<3) } }
    }
}

@Suite("HDF5Kit typed access")
struct HDF5KitTypedTests {
    @Test("Typed writes and reads convert through HDF5 (float32 stored, read as Double and Int8)")
    func typedConversions() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try HDF5File.create(folder.appendingPathComponent("typed.h5").path)
        let dataset = try file.root().createDataset("x", type: HDF5Datatype.element(.float32), shape: [2, 2])
        try dataset.write([Float(1.5), -2, 3, 100])
        #expect(try dataset.read(Double.self) == [1.5, -2, 3, 100])
        #expect(try dataset.read(Float.self) == [1.5, -2, 3, 100])
        let flags = try file.root().createDataset("flags", type: HDF5Datatype.element(.bool), shape: [3])
        try flags.write([true, false, true])
        #expect(try flags.read(Bool.self) == [true, false, true])
        #expect(throws: HDF5Error.self) { try dataset.write([Float(1)]) }
    }
}
