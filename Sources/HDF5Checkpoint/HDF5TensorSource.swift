import Foundation
import HDF5Kit
import WeightStore

/// The bytes of one dataset, read on demand. Sources of one file share the open
/// `HDF5File`, which stays open while any of them is alive. The first `withBytes` reads the
/// dataset (converted to the dtype's little-endian memory type) and keeps the bytes until
/// `release()`.
///
/// `fileExtent` is set when the dataset's stored bytes already are the tensor's bytes (see
/// `HDF5TensorSource.extent`), so writers can copy them file to file.
final class HDF5TensorSource: TensorSource, @unchecked Sendable {
    private let file: HDF5File
    /// Absolute path of the dataset.
    let datasetPath: String
    private let memoryType: HDF5Datatype
    let byteCount: Int
    let fileExtent: FileExtent?
    private let lock = NSLock()
    private var cache: Data?

    init(file: HDF5File, datasetPath: String, memoryType: HDF5Datatype, byteCount: Int, fileExtent: FileExtent?) {
        self.file = file
        self.datasetPath = datasetPath
        self.memoryType = memoryType
        self.byteCount = byteCount
        self.fileExtent = fileExtent
    }

    /// The range of the file holding `dataset`'s bytes when they are exactly what reading it
    /// with `memoryType` returns: contiguous, unfiltered, allocated, in the file itself, and
    /// stored in a datatype equal to `memoryType` (so HDF5 would convert nothing: not for a
    /// big-endian dataset, a different float layout, an enum with other members or a
    /// compound with other fields). Nil otherwise, or when the file cannot be examined.
    static func extent(of dataset: HDF5Dataset, memoryType: HDF5Datatype, byteCount: Int) throws -> FileExtent? {
        guard byteCount > 0, let range = try dataset.rawDataRange(), range.count == byteCount,
              try dataset.datatype().isEqual(to: memoryType) else { return nil }
        var info = stat()
        guard stat(dataset.file.path, &info) == 0 else { return nil }
        return FileExtent(path: dataset.file.path, fileSize: Int(info.st_size), offset: range.lowerBound, count: range.count)
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let data = try loaded()
        return try data.withUnsafeBytes(body)
    }

    func release() {
        lock.lock()
        cache = nil
        lock.unlock()
    }

    private func loaded() throws -> Data {
        lock.lock()
        defer { lock.unlock() }
        if let cache { return cache }
        let data: Data
        do {
            data = try file.root().openDataset(datasetPath).readBytes(memoryType: memoryType)
        } catch let error as HDF5Error {
            throw HDF5CheckpointError.unreadable(error)
        }
        guard data.count == byteCount else {
            throw HDF5CheckpointError.sizeChanged(path: file.path, dataset: datasetPath, expected: byteCount, found: data.count)
        }
        cache = data
        return data
    }
}
