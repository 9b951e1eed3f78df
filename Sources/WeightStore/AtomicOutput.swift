import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes an output file or folder all-or-nothing: everything goes to a temporary path in the
/// target's folder, which is renamed onto the target only by `commit()`. An output that is
/// abandoned (an error, a deinit without commit, or an interrupt — see `TemporaryOutputs`)
/// is deleted, so no half-written output is ever left and the input is never touched.
public final class AtomicOutput {
    /// The path the caller asked for.
    public let finalPath: String
    /// Where to write until `commit()`.
    public let temporaryPath: String
    public let isDirectory: Bool
    private var finished = false

    /// Prepares a temporary sibling of `path`.
    /// - Parameters:
    ///   - force: overwrite an existing output; otherwise an existing `path` is an error.
    ///   - isDirectory: create the temporary path as an empty folder.
    public init(path: String, force: Bool, isDirectory: Bool = false) throws {
        let url = URL(fileURLWithPath: path)
        let manager = FileManager.default
        if manager.fileExists(atPath: path), !force {
            throw StoreError.outputExists(path: path)
        }
        let folder = url.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard manager.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw StoreError.io(path: path, message: "the folder \(folder) does not exist")
        }
        finalPath = path
        self.isDirectory = isDirectory
        let token = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        temporaryPath = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(token).tmp").path
        TemporaryOutputs.register(temporaryPath)
        if isDirectory {
            do {
                try manager.createDirectory(atPath: temporaryPath, withIntermediateDirectories: false)
            } catch {
                TemporaryOutputs.unregister(temporaryPath)
                throw StoreError.io(path: path, message: "cannot create a temporary folder: \(error.localizedDescription)")
            }
        }
    }

    /// Moves the finished temporary output onto the final path (replacing it when forced).
    public func commit() throws {
        guard !finished else { return }
        let manager = FileManager.default
        if isDirectory, manager.fileExists(atPath: finalPath) {
            // rename(2) cannot replace a non-empty folder: move the old one aside first.
            let aside = temporaryPath + ".old"
            guard rename(finalPath, aside) == 0 else {
                throw StoreError.io(path: finalPath, message: "cannot replace: \(String(cString: strerror(errno)))")
            }
            guard rename(temporaryPath, finalPath) == 0 else {
                let message = String(cString: strerror(errno))
                _ = rename(aside, finalPath)
                throw StoreError.io(path: finalPath, message: "cannot replace: \(message)")
            }
            try? manager.removeItem(atPath: aside)
        } else if rename(temporaryPath, finalPath) != 0 {
            throw StoreError.io(path: finalPath, message: "cannot move the finished output into place: \(String(cString: strerror(errno)))")
        }
        finished = true
        TemporaryOutputs.unregister(temporaryPath)
    }

    /// Deletes the temporary output.
    public func abandon() {
        guard !finished else { return }
        finished = true
        try? FileManager.default.removeItem(atPath: temporaryPath)
        TemporaryOutputs.unregister(temporaryPath)
    }

    deinit { abandon() }

    /// Runs `write` on the temporary path and commits; abandons on any error.
    public static func write(to path: String, force: Bool, isDirectory: Bool = false,
                             _ write: (String) throws -> Void) throws {
        let output = try AtomicOutput(path: path, force: force, isDirectory: isDirectory)
        do {
            try write(output.temporaryPath)
            try output.commit()
        } catch {
            output.abandon()
            throw error
        }
    }
}

/// The temporary outputs in progress, deleted if the process is interrupted (SIGINT, SIGTERM).
public enum TemporaryOutputs {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    /// Deletes `path` (a file or a folder) if the process is interrupted before `unregister`.
    public static func register(_ path: String) { lock.withLock { _ = paths.insert(path) } }
    /// Forgets `path` (it was completed, moved or removed).
    public static func unregister(_ path: String) { lock.withLock { _ = paths.remove(path) } }

    /// Installs handlers so that an interrupt deletes every registered temporary output and
    /// exits with 128 + the signal number. Call once at start-up.
    public static func installInterruptCleanup() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                let pending = lock.withLock { paths }
                for path in pending { try? FileManager.default.removeItem(atPath: path) }
                FileHandle.standardError.write("interrupted: removed unfinished output\n".data(using: .utf8)!)
                exit(128 + signalNumber)
            }
            source.resume()
            lock.withLock { sources.append(source) }
        }
    }
}
