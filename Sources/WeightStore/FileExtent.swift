#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A tensor's bytes as one contiguous byte range of a file, exactly as `withBytes` would hand
/// them over (little-endian, row-major). Writers copy such bytes file to file in the kernel
/// (`copy_file_range`) instead of reading them into memory.
///
/// - Invariant: `offset >= 0`, `count >= 0`, `offset + count <= fileSize`.
public struct FileExtent: Sendable, Equatable {
    /// The file holding the bytes.
    public let path: String
    /// The file's size when the extent was taken: a file of another size has been replaced
    /// or rewritten since, and is not copied from.
    public let fileSize: Int
    /// Offset of the first byte in the file.
    public let offset: Int
    /// Number of bytes.
    public let count: Int

    /// Nil when the range does not lie within a file of `fileSize` bytes.
    public init?(path: String, fileSize: Int, offset: Int, count: Int) {
        guard offset >= 0, count >= 0, fileSize >= 0 else { return nil }
        let (end, overflow) = offset.addingReportingOverflow(count)
        guard !overflow, end <= fileSize else { return nil }
        self.path = path
        self.fileSize = fileSize
        self.offset = offset
        self.count = count
    }
}

extension FileExtent {
    /// Copies the extent into the open file `descriptor`: at `destinationOffset`, or at the
    /// descriptor's current position (which then advances) when it is nil.
    ///
    /// Uses `copy_file_range(2)` in chunks of `chunkSize` bytes; where the kernel or the file
    /// systems do not support it (EXDEV, ENOSYS, EINVAL, EOPNOTSUPP) the rest is copied with
    /// `pread`/`write` through a buffer of at most `chunkSize` bytes.
    /// - Parameters:
    ///   - destinationPath: the output's path, for error messages.
    ///   - progress: called with the bytes copied so far after each chunk.
    /// - Returns: false, having written nothing, when the source file cannot be opened or no
    ///   longer has `fileSize` bytes; the caller then writes the tensor's bytes itself.
    /// - Throws: `StoreError.io` naming the output (write failed) or the source (ended early).
    public func copy(to descriptor: Int32, at destinationOffset: Int?, destinationPath: String,
                     chunkSize: Int = 32 << 20, progress: (Int) -> Void = { _ in }) throws -> Bool {
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return false }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0, Int(info.st_size) == fileSize else { return false }
        let chunk = max(1, chunkSize)
        var done = 0
        #if os(Linux)
        if let copyFileRange = Self.copyFileRange {
            var inOffset = Int64(offset)
            var outOffset = Int64(destinationOffset ?? 0)
            kernel: while done < count {
                let copied = destinationOffset == nil
                    ? copyFileRange(input, &inOffset, descriptor, nil, min(chunk, count - done), 0)
                    : copyFileRange(input, &inOffset, descriptor, &outOffset, min(chunk, count - done), 0)
                if copied < 0 {
                    if errno == EINTR { continue }
                    if [EXDEV, EINVAL, ENOSYS, EOPNOTSUPP].contains(errno) { break kernel }
                    throw StoreError.io(path: destinationPath, message: "copying from \(path) failed: \(Self.lastError())")
                }
                if copied == 0 { throw Self.endedEarly(path) }
                done += copied
                progress(done)
            }
            if done == count { return true }
        }
        #endif
        try copyThroughBuffer(from: input, to: descriptor, at: destinationOffset, from: done,
                              destinationPath: destinationPath, chunk: chunk, progress: progress)
        return true
    }

    /// The fallback: `pread` the bytes from `done` on and write them out.
    private func copyThroughBuffer(from input: Int32, to descriptor: Int32, at destinationOffset: Int?, from start: Int,
                                   destinationPath: String, chunk: Int, progress: (Int) -> Void) throws {
        let size = min(chunk, max(1, count - start))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 64)
        defer { buffer.deallocate() }
        var done = start
        while done < count {
            let want = min(size, count - done)
            let got = pread(input, buffer.baseAddress, want, off_t(offset + done))
            if got < 0 {
                if errno == EINTR { continue }
                throw StoreError.io(path: path, message: "read failed: \(Self.lastError())")
            }
            if got == 0 { throw Self.endedEarly(path) }
            try Self.writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<got]), to: descriptor,
                              at: destinationOffset.map { $0 + done }, path: destinationPath)
            done += got
            progress(done)
        }
    }

    /// Writes all of `bytes` to `descriptor` at `offset` (`pwrite`), or at the current
    /// position (`write`) when it is nil, in requests of at most 1 GiB.
    /// - Throws: `StoreError.io` naming `path`.
    public static func writeAll(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, at offset: Int?, path: String,
                                progress: (Int) -> Void = { _ in }) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let request = min(1 << 30, bytes.count - done)
            let written = offset.map { pwrite(descriptor, base + done, request, off_t($0 + done)) }
                ?? write(descriptor, base + done, request)
            if written < 0 {
                if errno == EINTR { continue }
                throw StoreError.io(path: path, message: "write failed: \(lastError())")
            }
            if written == 0 { throw StoreError.io(path: path, message: "write failed: no bytes written (disk full?)") }
            done += written
            progress(done)
        }
    }

    private static func endedEarly(_ path: String) -> StoreError {
        StoreError.io(path: path, message: "the file ended early (was it changed while being read?)")
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }

    #if os(Linux)
    /// glibc's `copy_file_range` (declared only under `_GNU_SOURCE`, so Swift does not
    /// import it), looked up once; nil on a libc without it.
    private typealias CopyFileRange = @convention(c) (Int32, UnsafeMutablePointer<Int64>?, Int32,
                                                      UnsafeMutablePointer<Int64>?, Int, UInt32) -> Int
    private static let copyFileRange: CopyFileRange? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "copy_file_range") else { return nil }
        return unsafeBitCast(symbol, to: CopyFileRange.self)
    }()
    #endif
}
