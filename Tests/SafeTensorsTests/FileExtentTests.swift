import Foundation
import Testing
import WeightStore
@testable import SafeTensors

/// A source that only knows a file range and reads it with `FileHandle` when asked: stands
/// for any non-mapped source with a `fileExtent` (an HDF5 dataset, for instance).
final class FileRangeSource: TensorSource, @unchecked Sendable {
    let extent: FileExtent
    private(set) var reads = 0
    init(_ extent: FileExtent) { self.extent = extent }
    var byteCount: Int { extent.count }
    var fileExtent: FileExtent? { extent }
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        reads += 1
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: extent.path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(extent.offset))
        let data = try handle.read(upToCount: extent.count) ?? Data()
        return try data.withUnsafeBytes(body)
    }
}

@Suite("File extents")
struct FileExtentTests {
    /// A raw file of `count` seeded bytes.
    static func rawFile(in folder: URL, count: Int, seed: UInt64) throws -> (path: String, bytes: [UInt8]) {
        let path = folder.appendingPathComponent("raw-\(seed).bin").path
        let bytes = TestFiles.bytes(count: count, seed: seed)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, bytes)
    }

    @Test("An extent must lie inside the file")
    func extentBounds() {
        #expect(FileExtent(path: "x", fileSize: 10, offset: 3, count: 7) != nil)
        #expect(FileExtent(path: "x", fileSize: 10, offset: 3, count: 8) == nil)
        #expect(FileExtent(path: "x", fileSize: 10, offset: -1, count: 1) == nil)
        #expect(FileExtent(path: "x", fileSize: 10, offset: Int.max, count: 2) == nil)
    }

    @Test("Copies at an offset and at the current position, in many partial chunks", arguments: [1, 7, 4096, 1 << 20])
    func copyChunks(chunk: Int) throws {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let (source, bytes) = try Self.rawFile(in: folder, count: 10_000, seed: 3)
        let extent = try #require(FileExtent(path: source, fileSize: 10_000, offset: 123, count: 9_000))
        let target = folder.appendingPathComponent("out.bin").path
        let descriptor = open(target, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var seen: [Int] = []
        #expect(try extent.copy(to: descriptor, at: 50, destinationPath: target, chunkSize: chunk) { seen.append($0) })
        #expect(seen.last == 9_000)
        #expect(zip(seen, seen.dropFirst()).allSatisfy { $0 < $1 })
        #expect(lseek(descriptor, 0, SEEK_CUR) == 0, "a positioned copy leaves the file position alone")
        #expect(try extent.copy(to: descriptor, at: nil, destinationPath: target, chunkSize: chunk))
        #expect(lseek(descriptor, 0, SEEK_CUR) == 9_000)
        let written = [UInt8](try Data(contentsOf: URL(fileURLWithPath: target)))
        #expect(written.count == 9_050)
        // The sequential copy (offset 0) overwrote the first 9,000 bytes; the positioned one left 50 more.
        #expect(Array(written[0..<9_000]) == Array(bytes[123..<9_123]))
        #expect(Array(written[9_000..<9_050]) == Array(bytes[(123 + 8_950)..<9_123]))
    }

    @Test("A source file that is gone or has another size is not copied from")
    func changedSourceIsRefused() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let (source, _) = try Self.rawFile(in: folder, count: 100, seed: 4)
        let target = folder.appendingPathComponent("out.bin").path
        let descriptor = open(target, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        let wrongSize = try #require(FileExtent(path: source, fileSize: 200, offset: 0, count: 100))
        #expect(try !wrongSize.copy(to: descriptor, at: nil, destinationPath: target))
        let missing = try #require(FileExtent(path: source + ".gone", fileSize: 100, offset: 0, count: 100))
        #expect(try !missing.copy(to: descriptor, at: nil, destinationPath: target))
        #expect(lseek(descriptor, 0, SEEK_END) == 0)
    }

    @Test("Any source with a file extent is copied file to file; the file equals the in-memory write")
    func writerCopiesExtents() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let dtypes: [DType] = [.f32, .bf16, .i64, .u8, .f16]
        var tensors: [Tensor] = []
        var sources: [FileRangeSource] = []
        var inMemory: [Tensor] = []
        for (i, dtype) in dtypes.enumerated() {
            let shape = [i + 2, 9]
            let count = try #require(dtype.byteCount(elements: shape[0] * shape[1]))
            let (path, bytes) = try Self.rawFile(in: folder, count: count + 5, seed: UInt64(10 + i))
            let source = FileRangeSource(try #require(FileExtent(path: path, fileSize: count + 5, offset: 5, count: count)))
            sources.append(source)
            tensors.append(try Tensor(name: "t.\(i)", dtype: dtype, shape: shape, source: source))
            inMemory.append(try Tensor(name: "t.\(i)", dtype: dtype, shape: shape, bytes: Data(bytes[5...])))
        }
        tensors.append(try TestFiles.tensor("memory.only", .f32, [3], seed: 99))
        inMemory.append(try TestFiles.tensor("memory.only", .f32, [3], seed: 99))
        let fast = folder.appendingPathComponent("fast.safetensors").path
        let slow = folder.appendingPathComponent("slow.safetensors").path
        var progress: [(Int, Int)] = []
        let report = try SafeTensorsWriter.writeReporting(try WeightStore(tensors: tensors), to: fast) { progress.append(($0, $1)) }
        #expect(report == .init(copiedFromFiles: dtypes.count, writtenFromMemory: 1))
        #expect(sources.allSatisfy { $0.reads == 0 }, "copied sources are never read into memory")
        #expect(progress.last.map { $0.0 == $0.1 } ?? false)
        #expect(zip(progress, progress.dropFirst()).allSatisfy { $0.0 <= $1.0 })
        let slowReport = try SafeTensorsWriter.writeReporting(try WeightStore(tensors: inMemory), to: slow)
        #expect(slowReport == .init(copiedFromFiles: 0, writtenFromMemory: inMemory.count))
        #expect(try Data(contentsOf: URL(fileURLWithPath: fast)) == Data(contentsOf: URL(fileURLWithPath: slow)))
    }

    @Test("A failure while copying is an I/O error naming the output, and AtomicOutput leaves nothing")
    func copyFailurePropagates() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        // The kernel refuses to copy from a directory (EISDIR): an I/O error mid-write.
        let directory = folder.appendingPathComponent("not-a-file")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let size = try #require(try FileManager.default.attributesOfItem(atPath: directory.path)[.size] as? Int)
        try #require(size >= 8)
        let extent = try #require(FileExtent(path: directory.path, fileSize: size, offset: 0, count: 8))
        let store = try WeightStore(tensors: [
            TestFiles.tensor("fine", .f32, [4]),
            Tensor(name: "broken", dtype: .f32, shape: [2], source: FileRangeSource(extent)),
        ])
        let path = folder.appendingPathComponent("out.safetensors").path
        let error = try #require(throws: SafeTensorsError.self) {
            try AtomicOutput.write(to: path, force: false) { tmp in try SafeTensorsWriter.write(store, to: tmp) }
        }
        #expect(error.name == "IOError")
        #expect(error.description.contains("not-a-file"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["not-a-file"])
    }

    @Test("Mapped safetensors sources expose their slice, and a rewrite copies every tensor")
    func mappedSourcesCopied() throws {
        let folder = try TestFiles.temporaryFolder()
        defer { TestFiles.remove(folder) }
        let store = try WeightStore(tensors: (0..<6).map { i in
            try TestFiles.tensor("layer.\(i)", [.f32, .bf16, .i64][i % 3], [i + 1, 5], seed: UInt64(i))
        } + [TestFiles.tensor("empty", .f32, [0, 5])])
        let first = folder.appendingPathComponent("first.safetensors").path
        try SafeTensorsWriter.write(store, to: first)
        let mapped = try SafeTensorsReader.read(path: first)
        for tensor in mapped.tensors {
            let extent = try #require(tensor.source.fileExtent)
            #expect(extent.path == first)
            #expect(extent.count == tensor.byteCount)
        }
        let second = folder.appendingPathComponent("second.safetensors").path
        let report = try SafeTensorsWriter.writeReporting(mapped, to: second)
        #expect(report == .init(copiedFromFiles: 6, writtenFromMemory: 1))
        #expect(try Data(contentsOf: URL(fileURLWithPath: first)) == Data(contentsOf: URL(fileURLWithPath: second)))
    }
}
