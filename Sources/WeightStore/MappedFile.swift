import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file. Tensor sources slice it without copying; the map
/// is unmapped when the last source referring to it goes away.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    /// File size in bytes.
    public let size: Int
    private let base: UnsafeMutableRawPointer?

    /// Maps `path` read-only.
    /// - Throws: `StoreError.io` naming the file when it cannot be opened or mapped.
    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw StoreError.io(path: path, message: String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw StoreError.io(path: path, message: String(cString: strerror(errno))) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw StoreError.io(path: path, message: "not a regular file") }
        size = Int(info.st_size)
        if size == 0 {
            base = nil
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw StoreError.io(path: path, message: "cannot map the file: \(String(cString: strerror(errno)))")
        }
        base = mapped
    }

    deinit {
        if let base { munmap(base, size) }
    }

    /// The bytes `range` of the file. Valid while `self` is alive.
    /// - Precondition: `range` lies within the file.
    public func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= size, "range outside the mapped file")
        guard let base, !range.isEmpty else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// Tells the kernel the pages of `range` are not needed any more, so they stop counting
    /// towards resident memory (they are re-read from the file if touched again).
    public func release(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = (range.lowerBound / page) * page
        let end = min(size, range.upperBound)
        madvise(base + start, end - start, MADV_DONTNEED)
    }
}

/// A tensor whose bytes are a slice of a `MappedFile`: never copied to inspect.
public final class MappedTensorSource: TensorSource, @unchecked Sendable {
    public let file: MappedFile
    public let range: Range<Int>

    public init(file: MappedFile, range: Range<Int>) {
        self.file = file
        self.range = range
    }

    public var byteCount: Int { range.count }

    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try body(file.bytes(range))
    }

    public func release() { file.release(range) }

    public var fileExtent: FileExtent? {
        FileExtent(path: file.path, fileSize: file.size, offset: range.lowerBound, count: range.count)
    }
}
