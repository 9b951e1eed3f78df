import Foundation
@testable import HDF5Checkpoint
import HDF5Kit
import Testing
import TestSupport
import WeightStore

/// The file-to-file path: tensors whose bytes are a range of a file (a mapped safetensors
/// file, a contiguous HDF5 dataset in the tensor's byte order) are copied into the HDF5
/// file after HDF5 has closed it, and HDF5 sources expose such ranges to other writers.
@Suite("File-to-file copies")
struct FastPathTests {
    /// `store` with every tensor's bytes moved into one raw file (after a 13-byte prefix, so
    /// offsets are unaligned) and served from a memory map of it, as `SafeTensorsReader` does.
    static func mapped(_ store: WeightStore, in folder: URL) throws -> (store: WeightStore, path: String) {
        let path = folder.appendingPathComponent("raw.bin").path
        var bytes = Data(repeating: 0xA5, count: 13)
        var ranges: [Range<Int>] = []
        for tensor in store.tensors {
            let data = try tensor.source.data()
            ranges.append(bytes.count..<(bytes.count + data.count))
            bytes.append(data)
        }
        try bytes.write(to: URL(fileURLWithPath: path))
        let file = try MappedFile(path: path)
        let tensors = try zip(store.tensors, ranges).map { tensor, range in
            try Tensor(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape,
                       source: MappedTensorSource(file: file, range: range))
        }
        return (try WeightStore(tensors: tensors, metadata: store.metadata, configJSON: store.configJSON), path)
    }

    /// The bytes of `extent`, read straight from its file.
    static func bytes(of extent: FileExtent) throws -> Data {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: extent.path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(extent.offset))
        return try handle.read(upToCount: extent.count) ?? Data()
    }

    @Test("Mapped sources are copied file to file; the file reads back exactly, progress is monotone and complete")
    func mappedSourcesCopied() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let expected = try TestStores.everything()
        let (store, _) = try Self.mapped(expected, in: folder)
        let nonEmpty = store.tensors.filter { $0.byteCount > 0 }.count
        let path = folder.appendingPathComponent("fast.h5").path
        var reports: [(Int, Int)] = []
        let report = try HDF5CheckpointWriter.writeReporting(store, to: path) { reports.append(($0, $1)) }
        #expect(report == .init(copiedFromFiles: nonEmpty, writtenFromMemory: store.tensors.count - nonEmpty))
        #expect(reports.last.map { $0.0 == $0.1 } ?? false)
        #expect(reports.last?.1 == store.byteCount)
        #expect(zip(reports, reports.dropFirst()).allSatisfy { $0.0 <= $1.0 })
        let (read, layout) = try HDF5CheckpointReader.readWithLayout(path: path)
        #expect(layout == .transfuse)
        try expectIdentical(read, expected)
        // Identical to what the HDF5 path writes, apart from where HDF5 put the data.
        let slowPath = folder.appendingPathComponent("slow.h5").path
        let slow = try HDF5CheckpointWriter.writeReporting(expected, to: slowPath)
        #expect(slow == .init(copiedFromFiles: 0, writtenFromMemory: store.tensors.count))
        try expectIdentical(try HDF5CheckpointReader.read(path: slowPath), read)
    }

    @Test("Datasets written by the fast path are contiguous and expose their bytes as file extents")
    func readerExposesExtents() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let expected = try TestStores.everything()
        let (store, _) = try Self.mapped(expected, in: folder)
        let first = folder.appendingPathComponent("first.h5").path
        try HDF5CheckpointWriter.write(store, to: first)
        let read = try HDF5CheckpointReader.read(path: first)
        for tensor in read.tensors {
            guard tensor.byteCount > 0 else {
                #expect(tensor.source.fileExtent == nil, "\(tensor.name)")
                continue
            }
            let extent = try #require(tensor.source.fileExtent, "\(tensor.dtype) \(tensor.name) has no extent")
            #expect(extent.path == first)
            #expect(extent.count == tensor.byteCount)
            #expect(try Self.bytes(of: extent) == expected[tensor.name]?.source.data(), "\(tensor.name)")
        }
        // HDF5 → HDF5 through the extents.
        let second = folder.appendingPathComponent("second.h5").path
        let report = try HDF5CheckpointWriter.writeReporting(read, to: second)
        #expect(report.copiedFromFiles == read.tensors.filter { $0.byteCount > 0 }.count)
        try expectIdentical(try HDF5CheckpointReader.read(path: second), expected)
    }

    @Test("Compressing never copies file to file, and compressed datasets have no extent")
    func compressedTakesTheHDF5Path() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let expected = try TestStores.everything()
        let (store, _) = try Self.mapped(expected, in: folder)
        let path = folder.appendingPathComponent("gzip.h5").path
        let report = try HDF5CheckpointWriter.writeReporting(store, to: path, compress: true)
        #expect(report == .init(copiedFromFiles: 0, writtenFromMemory: store.tensors.count))
        let read = try HDF5CheckpointReader.read(path: path)
        try expectIdentical(read, expected)
        let root = try HDF5File.openReadOnly(path).root()
        let big = try #require(read["big.rank4"])
        #expect(try root.openDataset("big/rank4").storageInfo().layout == .chunked)
        #expect(big.source.fileExtent == nil)
    }

    @Test("A source file that is gone is written from the mapped bytes instead")
    func missingSourceFallsBack() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let expected = try TestStores.everything()
        let (store, raw) = try Self.mapped(expected, in: folder)
        try FileManager.default.removeItem(atPath: raw)
        let path = folder.appendingPathComponent("fallback.h5").path
        let report = try HDF5CheckpointWriter.writeReporting(store, to: path)
        #expect(report == .init(copiedFromFiles: 0, writtenFromMemory: store.tensors.count))
        try expectIdentical(try HDF5CheckpointReader.read(path: path), expected)
    }

    @Test("h5py files: big-endian and chunked (gzip) datasets have no extent, the others expose their exact bytes",
          arguments: ["flat.h5", "nested.h5", "canonical_h5py.h5"])
    func h5pyExtents(name: String) throws {
        let path = Fixtures.path(name)
        let read = try HDF5CheckpointReader.read(path: path)
        let root = try HDF5File.openReadOnly(path).root()
        var exposed = 0
        for tensor in read.tensors {
            if let extent = tensor.source.fileExtent {
                exposed += 1
                #expect(try Self.bytes(of: extent) == tensor.source.data(), "\(name) \(tensor.name)")
            }
        }
        #expect(exposed > 0, "\(name): no dataset exposes an extent")
        switch name {
        case "flat.h5":
            #expect(try #require(read["big_endian"]).source.fileExtent == nil)
            #expect(try #require(read["embeddings.weight"]).source.fileExtent != nil)
            #expect(try #require(read["position_ids"]).source.fileExtent != nil)
        case "nested.h5":
            for tensor in read.tensors {
                let dataset = try root.openDataset(tensor.name.replacingOccurrences(of: ".", with: "/"))
                if try dataset.storageInfo().layout == .chunked {
                    #expect(tensor.source.fileExtent == nil, "\(tensor.name) is chunked")
                }
            }
            #expect(exposed < read.tensors.count, "nested.h5 has gzip datasets")
        default:
            break
        }
        // Whatever the mix, writing the store again is exact.
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("again.h5").path
        let report = try HDF5CheckpointWriter.writeReporting(read, to: out)
        #expect(report.copiedFromFiles == exposed)
        let again = try HDF5CheckpointReader.read(path: out)
        #expect(again.names == read.names)
        for tensor in read.tensors {
            #expect(try again[tensor.name]?.source.data() == tensor.source.data(), "\(name) \(tensor.name)")
        }
    }

    /// A source whose extent is a directory: the kernel refuses to copy from it (EISDIR),
    /// which stands for an I/O error in the copy phase.
    final class UnreadableExtentSource: TensorSource, @unchecked Sendable {
        let extent: FileExtent
        init(_ extent: FileExtent) { self.extent = extent }
        var byteCount: Int { extent.count }
        var fileExtent: FileExtent? { extent }
        func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
            try body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }

    @Test("A failure while copying is an error naming the output and tensor, and AtomicOutput leaves nothing")
    func copyFailurePropagates() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let directory = folder.appendingPathComponent("not-a-file")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: directory.path)[.size] as? Int)
        try #require(size >= 8)
        let extent = try #require(FileExtent(path: directory.path, fileSize: size, offset: 0, count: 8))
        var random = SplitMix64(seed: 5)
        let store = try WeightStore(tensors: [
            TestStores.tensor("fine", .f32, [4], &random),
            Tensor(name: "broken", dtype: .f32, shape: [2], source: UnreadableExtentSource(extent)),
        ])
        let path = folder.appendingPathComponent("out.h5").path
        let error = try #require(throws: HDF5CheckpointError.self) {
            try AtomicOutput.write(to: path, force: false) { tmp in try HDF5CheckpointWriter.write(store, to: tmp) }
        }
        guard case let .io(failedPath, tensor, _) = error else {
            Issue.record("expected an I/O error, got \(error)")
            return
        }
        #expect(tensor == "broken")
        #expect(error.description.contains(failedPath))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["not-a-file"])
    }

    @Test("HDF5File.close refuses while objects are open, then closes")
    func closeChecksOpenObjects() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = try HDF5File.create(folder.appendingPathComponent("c.h5").path)
        var group: HDF5Group? = try file.root().createGroup("g")
        #expect(throws: HDF5Error.self) { try file.close() }
        #expect(group != nil)
        group = nil
        try file.close()
        #expect(try HDF5File.openReadOnly(folder.appendingPathComponent("c.h5").path).root().hasLink("g"))
    }
}
