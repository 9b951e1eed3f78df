import WeightStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for writing with plain `write(2)` calls (no buffering layer in between),
/// plus an in-kernel copy path for bytes that already live in a file.
final class OutputFile {
    let path: String
    private var descriptor: Int32
    /// Largest single write/copy request: large sequential I/O, bounded progress intervals.
    static let chunkSize = 32 << 20

    /// Creates or truncates `path` (mode 0644).
    init(creating path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SafeTensorsError.io(path: path, message: "cannot create the file: \(Self.lastError())")
        }
    }

    deinit { if descriptor >= 0 { close(descriptor) } }

    /// Writes all of `bytes`, calling `progress` with the bytes written so far after each chunk.
    func writeAll(_ bytes: UnsafeRawBufferPointer, progress: (Int) -> Void = { _ in }) throws {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let request = min(Self.chunkSize, bytes.count - done)
            let written = write(descriptor, base + done, request)
            if written < 0 {
                if errno == EINTR { continue }
                throw SafeTensorsError.io(path: path, message: "write failed: \(Self.lastError())")
            }
            done += written
            progress(done)
        }
    }

    /// Copies `extent` to the current position, in the kernel where it can
    /// (`FileExtent.copy`: `copy_file_range(2)`, no user-space buffer, no page-cache mapping
    /// of the source; `pread`/`write` where the file systems do not support it).
    /// - Returns: false, having written nothing, when the source cannot be opened or is no
    ///   longer the expected size; the caller then writes the tensor's bytes from memory.
    func copy(_ extent: FileExtent, progress: (Int) -> Void) throws -> Bool {
        do {
            return try extent.copy(to: descriptor, at: nil, destinationPath: path, chunkSize: Self.chunkSize, progress: progress)
        } catch StoreError.io(let failedPath, let message) {
            throw SafeTensorsError.io(path: path, message: failedPath == path ? message : "\(failedPath): \(message)")
        }
    }

    /// Writes all of `bytes` at `offset` (`pwrite`), leaving the current position alone.
    func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        do {
            try FileExtent.writeAll(bytes, to: descriptor, at: offset, path: path)
        } catch StoreError.io(_, let message) {
            throw SafeTensorsError.io(path: path, message: message)
        }
    }

    /// Copies `extent` to `offset` (as `copy(_:progress:)`, positioned).
    func copy(_ extent: FileExtent, at offset: Int) throws -> Bool {
        do {
            return try extent.copy(to: descriptor, at: offset, destinationPath: path, chunkSize: Self.chunkSize)
        } catch StoreError.io(let failedPath, let message) {
            throw SafeTensorsError.io(path: path, message: failedPath == path ? message : "\(failedPath): \(message)")
        }
    }

    /// Sets the file's size (the bytes not yet written read as zeros).
    func resize(to size: Int) throws {
        while ftruncate(descriptor, off_t(size)) != 0 {
            if errno == EINTR { continue }
            throw SafeTensorsError.io(path: path, message: "cannot size the file to \(size) bytes: \(Self.lastError())")
        }
    }

    /// Closes the file, reporting a failed close (data not written) as an error.
    func finish() throws {
        guard descriptor >= 0 else { return }
        let result = close(descriptor)
        descriptor = -1
        guard result == 0 else { throw SafeTensorsError.io(path: path, message: "close failed: \(Self.lastError())") }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

