import Foundation

/// The committed interop fixtures and their manifest (see Fixtures/make_fixtures.py).
enum Fixtures {
    struct Entry: Decodable {
        let name: String
        let dtype: String
        let shape: [Int]
        let sha256: String
    }

    struct File: Decodable {
        let layout: String
        let metadata: [String: String]
        let config: String?
        let tensors: [Entry]
    }

    static var folder: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    }

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static func manifest() throws -> [String: File] {
        try JSONDecoder().decode([String: File].self, from: Data(contentsOf: folder.appendingPathComponent("manifest.json")))
    }

    /// Fixture file names of the manifest, sorted (test arguments).
    static var names: [String] {
        ((try? manifest()) ?? [:]).keys.sorted()
    }
}
