import Foundation
import Testing

@Suite("Test support and fixture integrity")
struct SupportTests {
    @Test("SHA-256 matches the FIPS 180-4 test vectors")
    func sha256Vectors() {
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

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
