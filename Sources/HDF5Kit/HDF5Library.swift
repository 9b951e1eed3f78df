import CHDF5
import Foundation

/// Process-wide HDF5 state: one recursive lock that serialises every call into libhdf5 (the
/// Debian build is thread-safe behind its own global lock, but error stacks are per thread
/// and a sequence of calls such as "fail, then walk the stack" must not interleave), and the
/// conversion of the HDF5 error stack into `HDF5Error`.
enum HDF5Library {
    private static let lock = NSRecursiveLock()

    /// Runs `body` holding the HDF5 lock, with automatic error printing turned off on this
    /// thread (the setting is per thread in a thread-safe build, so it is renewed each time).
    static func locked<R>(_ body: () throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        chdf5_silence_errors()
        return try body()
    }

    /// The messages of the current thread's error stack, outermost first, then clears it.
    static func takeErrorStack() -> [String] {
        final class Collector { var lines: [String] = [] }
        let collector = Collector()
        let context = Unmanaged.passUnretained(collector).toOpaque()
        _ = H5Ewalk2(chdf5_E_DEFAULT(), H5E_WALK_DOWNWARD, { _, entry, data in
            guard let entry, let data else { return 0 }
            let collector = Unmanaged<Collector>.fromOpaque(data).takeUnretainedValue()
            let function = entry.pointee.func_name.map { String(cString: $0) } ?? "?"
            let message = entry.pointee.desc.map { String(cString: $0) } ?? ""
            collector.lines.append("\(function): \(message)")
            return 0
        }, context)
        H5Eclear2(chdf5_E_DEFAULT())
        return collector.lines
    }

    /// Returns `id` when it is valid (≥ 0), otherwise throws `HDF5Error` with the error stack.
    @discardableResult
    static func check(_ id: hid_t, path: String, object: String = "", _ operation: @autoclosure () -> String) throws -> hid_t {
        guard id >= 0 else {
            throw HDF5Error(path: path, object: object, operation: operation(), stack: takeErrorStack())
        }
        return id
    }

    /// Throws `HDF5Error` when `status` (an `herr_t` or `htri_t`) is negative.
    static func check(_ status: Int32, path: String, object: String = "", _ operation: @autoclosure () -> String) throws {
        guard status >= 0 else {
            throw HDF5Error(path: path, object: object, operation: operation(), stack: takeErrorStack())
        }
    }
}

/// The value of the `H5P_DEFAULT` property list as a `hid_t`.
var defaultPlist: hid_t { chdf5_P_DEFAULT() }
