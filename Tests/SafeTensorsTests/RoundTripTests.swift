import Foundation
import Testing
import WeightStore
@testable import SafeTensors

/// Write → read round trips: names, order, dtypes, shapes, bytes and metadata are kept bit
/// for bit (file bytes are not compared: the writer always adds `format: pt`).
@Suite struct RoundTripTests {
    /// Every dtype with a whole number of bytes per tensor, in several shapes.
    static let dtypeCases: [(DType, [Int])] = DType.allCases.flatMap { dtype -> [(DType, [Int])] in
        let shapes: [[Int]] = dtype.bitWidth % 8 == 0 ? [[], [0, 4], [3], [2, 3, 4]] : [[0, 4], [8], [4, 6]]
        return shapes.map { (dtype, $0) }
    }

    @Test(arguments: dtypeCases.indices)
    func dtypeAndShape(caseIndex: Int) throws {
        let (dtype, shape) = Self.dtypeCases[caseIndex]
        let store = try WeightStore(tensors: [TestFiles.tensor("t", dtype, shape, seed: UInt64(caseIndex))])
        let back = try roundTrip(store)
        try expectSameTensors(back, store)
    }

    static let oddNames = ["", " ", "with space", "slash/in/name", "back\\slash", "quote\"d", "\"", "\\",
                           "ünïcödé.权重.🙂", "tab\tnew\nline", "control\u{01}\u{1F}char", "nul\u{0}inside",
                           "del\u{7F}", "__metadata", "a..b", ".", "{\"json\": [1, 2]}", "\u{FEFF}bom",
                           "e\u{301} (decomposed é)", "é (precomposed)"]

    @Test func oddNamesKeepOrder() throws {
        // Reversed so that store order differs from the sorted data order.
        let tensors = try Self.oddNames.reversed().enumerated().map { i, name in
            try TestFiles.tensor(name, [.f32, .f16, .u8, .i64][i % 4], [i % 3 + 1], seed: UInt64(i))
        }
        let store = try WeightStore(tensors: tensors, metadata: ["note": "quotes \" and \\ backslashes, ü, \n"])
        let back = try roundTrip(store)
        try expectSameTensors(back, store)
        #expect(back.metadata == store.metadata.merging(["format": "pt"]) { mine, _ in mine })
    }

    @Test func allDtypesMixedInOneFile() throws {
        var tensors: [Tensor] = []
        for (i, dtype) in DType.allCases.enumerated() {
            tensors.append(try TestFiles.tensor("z\(i).\(dtype)", dtype, dtype.bitWidth % 8 == 0 ? [i % 4 + 1, 3] : [2, 4], seed: UInt64(i)))
        }
        tensors.append(try TestFiles.tensor("scalar", .f64, []))
        tensors.append(try TestFiles.tensor("empty", .bf16, [0, 4]))
        let store = try WeightStore(tensors: tensors, metadata: ["format": "np", "epoch": "3"])
        let back = try roundTrip(store)
        try expectSameTensors(back, store)
        #expect(back.metadata == ["format": "np", "epoch": "3"])  // the store's format wins
    }

    @Test func emptyStore() throws {
        let back = try roundTrip(try WeightStore())
        #expect(back.count == 0)
        #expect(back.metadata == ["format": "pt"])
    }

    /// Layout invariants of a written file: N a multiple of 8, data sorted by the reference
    /// dtype rank (so alignment descending) then name, every tensor aligned to its element size.
    @Test func writerLayout() throws {
        let store = try WeightStore(tensors: [
            TestFiles.tensor("b.u8", .u8, [3]), TestFiles.tensor("a.f16", .f16, [5]),
            TestFiles.tensor("c.f64", .f64, [2]), TestFiles.tensor("b.f32", .f32, [1]),
            TestFiles.tensor("a.f32", .f32, [7]), TestFiles.tensor("a.bool", .bool, [2]),
        ])
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let path = folder.appendingPathComponent("layout.safetensors").path
        var calls: [(Int, Int)] = []
        try SafeTensorsWriter.write(store, to: path) { calls.append(($0, $1)) }
        let header = try SafeTensorsReader.readHeader(path: path)
        #expect(header.headerLength % 8 == 0)
        #expect(header.entries.map(\.name) == store.names)
        let dataOrder = header.entries.sorted { $0.dataOffsets.lowerBound < $1.dataOffsets.lowerBound }.map(\.name)
        #expect(dataOrder == ["c.f64", "a.f32", "b.f32", "a.f16", "b.u8", "a.bool"])
        for entry in header.entries {
            #expect(header.fileRange(of: entry).lowerBound % entry.dtype.alignment == 0, "\(entry.name)")
        }
        #expect(calls.first.map { $0.0 } == 0)
        #expect(calls.last.map { $0.0 } == store.byteCount)
        #expect(calls.allSatisfy { $0.1 == store.byteCount })
        let file = try Data(contentsOf: URL(fileURLWithPath: path))
        let json = String(decoding: file[8..<header.dataStart], as: UTF8.self)
        #expect(json.hasPrefix(#"{"__metadata__":{"format":"pt"},"b.u8":{"dtype":"U8","shape":[3],"data_offsets":["#))
    }

    /// Mapped sources (copied in the kernel) and in-memory sources give the same file.
    @Test func mappedAndInMemorySourcesWriteTheSameBytes() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let store = try WeightStore(tensors: (0..<20).map { i in
            try TestFiles.tensor("layer.\(i).weight", [.f32, .bf16, .i64][i % 3], [i + 1, 17], seed: UInt64(i))
        }, metadata: ["k": "v"])
        let first = folder.appendingPathComponent("first.safetensors").path
        let second = folder.appendingPathComponent("second.safetensors").path
        try SafeTensorsWriter.write(store, to: first)
        let mapped = try SafeTensorsReader.read(path: first)
        #expect(mapped.tensors.allSatisfy { $0.source is MappedTensorSource })
        try SafeTensorsWriter.write(mapped, to: second)
        #expect(try Data(contentsOf: URL(fileURLWithPath: first)) == Data(contentsOf: URL(fileURLWithPath: second)))
    }

    @Test func writeToMissingFolderNamesThePath() throws {
        let path = "/nonexistent-folder-\(UInt32.random(in: 0...UInt32.max))/x.safetensors"
        let error = try #require(throws: SafeTensorsError.self) {
            try SafeTensorsWriter.write(try WeightStore(), to: path)
        }
        #expect(error.name == "IOError")
        #expect(error.description.hasPrefix(path))
    }

    private func roundTrip(_ store: WeightStore) throws -> WeightStore {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let path = folder.appendingPathComponent("model.safetensors").path
        try SafeTensorsWriter.write(store, to: path)
        // The memory map stays valid after the folder is deleted (POSIX keeps mapped files).
        return try SafeTensorsReader.read(path: path)
    }
}
