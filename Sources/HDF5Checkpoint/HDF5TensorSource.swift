import Foundation
import HDF5Kit
import WeightStore

/// The bytes of one dataset, read on demand. Sources of one file share the open
/// `HDF5File`, which stays open while any of them is alive. The first `withBytes` reads the
/// dataset (converted to the dtype's little-endian memory type) and keeps the bytes until
/// `release()`.
final class HDF5TensorSource: TensorSource, @unchecked Sendable {
    private let file: HDF5File
    /// Absolute path of the dataset.
    let datasetPath: String
    private let memoryType: HDF5Datatype
    let byteCount: Int
    private let lock = NSLock()
    private var cache: Data?

    init(file: HDF5File, datasetPath: String, memoryType: HDF5Datatype, byteCount: Int) {
        self.file = file
        self.datasetPath = datasetPath
        self.memoryType = memoryType
        self.byteCount = byteCount
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
