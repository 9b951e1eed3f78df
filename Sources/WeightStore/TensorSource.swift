import Foundation

/// Where a tensor's bytes live: in memory, in a memory-mapped file, or in a file that is read
/// on demand. Bytes are always little-endian and row-major, `byteCount` long.
///
/// Sources are lazy: nothing is read until `withBytes` is called, and `release()` lets a
/// long job drop pages it no longer needs (mapped pages count towards resident memory).
public protocol TensorSource: AnyObject, Sendable {
    /// Number of bytes `withBytes` hands over.
    var byteCount: Int { get }
    /// Calls `body` with the tensor's bytes. The buffer is valid only during the call.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R
    /// Hint that the bytes will not be needed again soon (drops mapped pages or caches).
    func release()
    /// Where the exact bytes `withBytes` hands over lie in a file, when they are one
    /// contiguous range of it (a slice of a mapped safetensors file, an uncompressed
    /// contiguous HDF5 dataset stored in the tensor's own byte order); nil otherwise.
    /// Writers copy such tensors file to file without reading them into memory.
    var fileExtent: FileExtent? { get }
}

extension TensorSource {
    public func release() {}

    public var fileExtent: FileExtent? { nil }

    /// A copy of the bytes.
    public func data() throws -> Data {
        try withBytes { Data($0) }
    }
}

/// Bytes held in memory.
public final class InMemoryTensorSource: TensorSource, @unchecked Sendable {
    public let bytes: Data
    public init(_ bytes: Data) { self.bytes = bytes }
    public var byteCount: Int { bytes.count }
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try bytes.withUnsafeBytes(body)
    }
}
