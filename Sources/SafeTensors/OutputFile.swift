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

    /// Copies `range` of the file at `sourcePath` to the current position with
    /// `copy_file_range(2)` (no user-space buffer, no page-cache mapping of the source).
    /// - Returns: false, having written nothing, when the kernel or file system does not
    ///   support it or the source is not the expected size; the caller then writes from memory.
    func copy(from sourcePath: String, expectedSize: Int, range: Range<Int>, progress: (Int) -> Void) throws -> Bool {
        #if os(Linux)
        guard let copyFileRange = Self.copyFileRange else { return false }
        let input = open(sourcePath, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return false }
        defer { close(input) }
        var info = stat()
        guard fstat(input, &info) == 0, Int(info.st_size) == expectedSize else { return false }
        var offset = Int64(range.lowerBound)
        var done = 0
        while done < range.count {
            let copied = copyFileRange(input, &offset, descriptor, nil, min(Self.chunkSize, range.count - done), 0)
            if copied < 0 {
                if errno == EINTR { continue }
                if done == 0, [EXDEV, EINVAL, ENOSYS, EOPNOTSUPP, EBADF].contains(errno) { return false }
                throw SafeTensorsError.io(path: path, message: "copy failed: \(Self.lastError())")
            }
            if copied == 0 {
                throw SafeTensorsError.io(path: path, message: "\(sourcePath) ended early (was it changed while being read?)")
            }
            done += copied
            progress(done)
        }
        return true
        #else
        return false
        #endif
    }

    /// Closes the file, reporting a failed close (data not written) as an error.
    func finish() throws {
        guard descriptor >= 0 else { return }
        let result = close(descriptor)
        descriptor = -1
        guard result == 0 else { throw SafeTensorsError.io(path: path, message: "close failed: \(Self.lastError())") }
    }

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

    private static func lastError() -> String { String(cString: strerror(errno)) }
}

