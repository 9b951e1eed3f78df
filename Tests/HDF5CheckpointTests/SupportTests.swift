import Foundation
import Testing
import TestSupport

@Suite("Fixture integrity")
struct SupportTests {
    @Test("Every fixture matches SHA256SUMS")
    func fixtureChecksums() throws {
        let sums = try String(contentsOf: Fixtures.folder.appendingPathComponent("SHA256SUMS"), encoding: .utf8)
        let lines = sums.split(separator: "\n")
        #expect(lines.count == Fixtures.names.count + 1) // every .h5 plus manifest.json
        for line in lines {
            let parts = line.split(separator: " ", maxSplits: 1)
            let file = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: " *"))
            let data = try Data(contentsOf: Fixtures.folder.appendingPathComponent(file))
            #expect(SHA256.hex(data) == String(parts[0]), "\(file)")
        }
    }
}
