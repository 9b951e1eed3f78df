import CHDF5
import Foundation

/// How a dataset's data is laid out in the file.
public struct HDF5StorageInfo: Sendable, Equatable {
    public enum Layout: Sendable, Equatable { case compact, contiguous, chunked, virtual, unknown }
    public enum Filter: Sendable, Equatable { case deflate, shuffle, fletcher32, other(Int) }
    public let layout: Layout
    /// The chunk shape of a chunked dataset.
    public let chunkShape: [Int]?
    /// Filters applied in order (chunked datasets only).
    public let filters: [Filter]
    /// Bytes the data occupies in the file (compressed size for filtered datasets).
    public let storedBytes: Int

    public init(layout: Layout, chunkShape: [Int]?, filters: [Filter], storedBytes: Int) {
        self.layout = layout
        self.chunkShape = chunkShape
        self.filters = filters
        self.storedBytes = storedBytes
    }
}

/// An open dataset. Reads and writes move whole datasets (or runs of outer rows) in the
/// memory type the caller names; element counts are checked against the dataspace first.
public final class HDF5Dataset: HDF5Node, @unchecked Sendable {
    /// The stored datatype.
    public func datatype() throws -> HDF5Datatype {
        try HDF5Library.locked { HDF5Datatype(owning: try check(H5Dget_type(id), "cannot read the dataset's type")) }
    }

    /// The dataset's dataspace.
    public func dataspace() throws -> HDF5Dataspace {
        try HDF5Library.locked { HDF5Dataspace(owning: try check(H5Dget_space(id), "cannot read the dataset's dataspace")) }
    }

    /// The shape, outermost first (`[]` for scalars).
    public func shape() throws -> [Int] { try dataspace().dimensions() }

    /// Bytes `count` elements of `memoryType` occupy, or an error naming the dataset.
    private func byteCount(elements count: Int, memoryType: HDF5Datatype) throws -> Int {
        let (bytes, overflow) = count.multipliedReportingOverflow(by: memoryType.size)
        guard !overflow else {
            throw HDF5Error(path: file.path, object: path, operation: "\(count) elements of \(memoryType) overflow the address space")
        }
        return bytes
    }

    /// Reads the whole dataset converted to `memoryType`.
    /// - Returns: `elementCount × memoryType.size` bytes, row-major.
    /// - Throws: `HDF5Error` with the HDF5 error stack (truncated file, failed filter, …).
    public func readBytes(memoryType: HDF5Datatype) throws -> Data {
        try HDF5Library.locked {
            let total = try byteCount(elements: try dataspace().elementCount(), memoryType: memoryType)
            if total == 0 { return Data() }
            guard let buffer = Self.allocate(total) else {
                throw HDF5Error(path: file.path, object: path, operation: "cannot allocate \(total) bytes to read the dataset")
            }
            do {
                try read(into: UnsafeMutableRawBufferPointer(start: buffer, count: total), memoryType: memoryType)
            } catch {
                free(buffer)
                throw error
            }
            return Data(bytesNoCopy: buffer, count: total, deallocator: .free)
        }
    }

    /// Reads the whole dataset into `buffer`, which must hold exactly
    /// `elementCount × memoryType.size` bytes.
    func read(into buffer: UnsafeMutableRawBufferPointer, memoryType: HDF5Datatype) throws {
        try HDF5Library.locked {
            let count = try dataspace().elementCount()
            let total = try byteCount(elements: count, memoryType: memoryType)
            guard buffer.count == total else {
                throw HDF5Error(path: file.path, object: path, operation: "expected a buffer of \(total) bytes for \(count) elements, got \(buffer.count)")
            }
            guard total > 0 else { return }
            try check(H5Dread(id, memoryType.id, chdf5_S_ALL(), chdf5_S_ALL(), defaultPlist, buffer.baseAddress),
                      "cannot read the dataset")
        }
    }

    /// Uninitialised memory for `bytes` bytes, to be released with `free`. Large buffers are
    /// aligned to 2 MiB and marked for transparent huge pages (as NumPy does): faulting in
    /// 4 KiB pages otherwise costs several times the read itself. Never zero-filled.
    static func allocate(_ bytes: Int) -> UnsafeMutableRawPointer? {
        let huge = 2 << 20
        guard bytes >= 4 * huge else { return malloc(bytes) }
        var pointer: UnsafeMutableRawPointer? = nil
        guard posix_memalign(&pointer, huge, bytes) == 0, let pointer else { return nil }
        #if os(Linux)
        _ = madvise(pointer, bytes / huge * huge, MADV_HUGEPAGE)
        #endif
        return pointer
    }

    /// Writes the whole dataset from `bytes`, which hold `elementCount` elements of
    /// `memoryType`, row-major.
    /// - Throws: `HDF5Error` when the byte count does not match the dataspace, or HDF5 fails.
    public func write(_ bytes: UnsafeRawBufferPointer, memoryType: HDF5Datatype) throws {
        try HDF5Library.locked {
            let count = try dataspace().elementCount()
            let expected = try byteCount(elements: count, memoryType: memoryType)
            guard bytes.count == expected else {
                throw HDF5Error(path: file.path, object: path, operation: "expected \(expected) bytes for \(count) elements, got \(bytes.count)")
            }
            guard count > 0 else { return }
            try check(H5Dwrite(id, memoryType.id, chdf5_S_ALL(), chdf5_S_ALL(), defaultPlist, bytes.baseAddress),
                      "cannot write the dataset")
        }
    }

    /// Writes the outer rows `rows` (indices along the first dimension) from `bytes`, which
    /// hold exactly those rows of `memoryType` elements. Lets a writer stream a large
    /// dataset in slices and report progress.
    /// - Throws: `HDF5Error` for a scalar dataset, rows out of range or a wrong byte count.
    public func write(_ bytes: UnsafeRawBufferPointer, memoryType: HDF5Datatype, rows: Range<Int>) throws {
        try HDF5Library.locked {
            let space = try dataspace()
            let dims = try space.dimensions()
            guard let outer = dims.first, rows.lowerBound >= 0, rows.upperBound <= outer else {
                throw HDF5Error(path: file.path, object: path, operation: "rows \(rows) are outside the shape \(dims)")
            }
            let rowElements = HDF5Dataspace.product(Array(dims.dropFirst())) ?? 0
            let (count, overflow) = rowElements.multipliedReportingOverflow(by: rows.count)
            let expected = overflow ? -1 : try byteCount(elements: count, memoryType: memoryType)
            guard bytes.count == expected else {
                throw HDF5Error(path: file.path, object: path, operation: "expected \(expected) bytes for rows \(rows), got \(bytes.count)")
            }
            guard count > 0 else { return }
            var start = [hsize_t](repeating: 0, count: dims.count)
            var extent = dims.map { hsize_t($0) }
            start[0] = hsize_t(rows.lowerBound)
            extent[0] = hsize_t(rows.count)
            try check(H5Sselect_hyperslab(space.id, H5S_SELECT_SET, start, nil, extent, nil), "cannot select rows \(rows)")
            let memory = try HDF5Dataspace(dimensions: [count])
            try check(H5Dwrite(id, memoryType.id, memory.id, space.id, defaultPlist, bytes.baseAddress),
                      "cannot write rows \(rows) of the dataset")
        }
    }

    /// Layout, chunk shape, filters and stored size.
    public func storageInfo() throws -> HDF5StorageInfo {
        try HDF5Library.locked {
            let dcpl = try check(H5Dget_create_plist(id), "cannot read the dataset's creation properties")
            defer { H5Pclose(dcpl) }
            let layout: HDF5StorageInfo.Layout
            switch H5Pget_layout(dcpl) {
            case H5D_COMPACT: layout = .compact
            case H5D_CONTIGUOUS: layout = .contiguous
            case H5D_CHUNKED: layout = .chunked
            case H5D_VIRTUAL: layout = .virtual
            default: layout = .unknown
            }
            var chunk: [Int]? = nil
            if layout == .chunked {
                var dims = [hsize_t](repeating: 0, count: 32)
                let rank = H5Pget_chunk(dcpl, 32, &dims)
                try check(rank, "cannot read the chunk shape")
                chunk = dims.prefix(Int(rank)).map { Int($0) }
            }
            var filters: [HDF5StorageInfo.Filter] = []
            let filterCount = H5Pget_nfilters(dcpl)
            for index in 0..<max(0, filterCount) {
                var flags: UInt32 = 0
                var elements = 0
                var config: UInt32 = 0
                let filter = H5Pget_filter2(dcpl, UInt32(index), &flags, &elements, nil, 0, nil, &config)
                switch filter {
                case H5Z_FILTER_DEFLATE: filters.append(.deflate)
                case H5Z_FILTER_SHUFFLE: filters.append(.shuffle)
                case H5Z_FILTER_FLETCHER32: filters.append(.fletcher32)
                default: filters.append(.other(Int(filter)))
                }
            }
            return HDF5StorageInfo(layout: layout, chunkShape: chunk, filters: filters,
                                   storedBytes: Int(H5Dget_storage_size(id)))
        }
    }
}
