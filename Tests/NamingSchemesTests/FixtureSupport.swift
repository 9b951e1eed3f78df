import Checkpoints
import Foundation
@testable import NamingSchemes
import Testing
import WeightStore

/// Access to the committed fixtures (made by Fixtures/make_fixtures.py) and the bundled registry.
enum Fixtures {
    static let folder: String = {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures").path
    }()

    static func path(_ relative: String) -> String { folder + "/" + relative }

    /// Reads a fixture with the Checkpoints facade (config.json beside it becomes the config).
    static func read(_ relative: String) throws -> WeightStore {
        try Checkpoint.read(path(relative))
    }

    static let registry: SchemeRegistry = {
        do { return try SchemeRegistry.load(environment: [:]) } catch { fatalError("bundled rule files: \(error)") }
    }()
}

/// Fails unless both stores hold the same names (in any order when `ordered` is false),
/// dtypes, shapes and bytes.
func expectIdentical(_ a: WeightStore, _ b: WeightStore, ordered: Bool = false,
                     sourceLocation: SourceLocation = #_sourceLocation) throws {
    if ordered {
        #expect(a.names == b.names, sourceLocation: sourceLocation)
    } else {
        #expect(a.names.sorted() == b.names.sorted(), sourceLocation: sourceLocation)
    }
    for tensor in a.tensors {
        guard let other = b[tensor.name] else { continue }
        #expect(tensor.dtype == other.dtype && tensor.shape == other.shape,
                "\(tensor.summary) vs \(other.summary)", sourceLocation: sourceLocation)
        let same = try tensor.withBytes { x in try other.withBytes { y in x.elementsEqual(y) } }
        #expect(same, "\(tensor.name): bytes differ", sourceLocation: sourceLocation)
    }
}

/// The error thrown by `body`, as a `NamingSchemeError`.
func namingError(_ body: () throws -> Void) -> NamingSchemeError? {
    do { try body() } catch let error as NamingSchemeError { return error } catch { Issue.record("unexpected \(error)") }
    return nil
}
