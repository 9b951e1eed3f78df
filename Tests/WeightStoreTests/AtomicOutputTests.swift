import Foundation
import Testing
@testable import WeightStore

@Suite struct AtomicOutputTests {
    func temporaryFolder() throws -> String {
        let path = NSTemporaryDirectory() + "transfuse-atomic-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func failedWriteLeavesNothingBehind() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        struct Boom: Error {}
        #expect(throws: Boom.self) {
            try AtomicOutput.write(to: folder + "/out.bin", force: false) { tmp in
                try Data([1, 2, 3]).write(to: URL(fileURLWithPath: tmp))
                throw Boom()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).isEmpty)
    }

    @Test func refusesToOverwriteUnlessForced() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let target = folder + "/out.bin"
        try Data([9]).write(to: URL(fileURLWithPath: target))
        #expect(throws: StoreError.outputExists(path: target)) {
            try AtomicOutput.write(to: target, force: false) { _ in }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data([9]))
        try AtomicOutput.write(to: target, force: true) { tmp in
            try Data([7]).write(to: URL(fileURLWithPath: tmp))
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == Data([7]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["out.bin"])
    }

    @Test func replacesFoldersWhenForced() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let target = folder + "/model"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try Data([1]).write(to: URL(fileURLWithPath: target + "/old.txt"))
        try AtomicOutput.write(to: target, force: true, isDirectory: true) { tmp in
            try Data([2]).write(to: URL(fileURLWithPath: tmp + "/new.txt"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: target) == ["new.txt"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["model"])
    }

    @Test func missingFolderIsAClearError() {
        #expect(throws: StoreError.self) {
            try AtomicOutput.write(to: "/nonexistent-transfuse-folder/out.bin", force: false) { _ in }
        }
    }
}
