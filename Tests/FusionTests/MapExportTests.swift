import Foundation
@testable import Fusion
import Testing
import Transport

@Suite("Transport map export")
struct MapExportTests {
    /// Reads the chunks of a PNG: (type, body), checking the signature and every CRC.
    func chunks(_ data: Data) throws -> [(String, Data)] {
        let bytes = [UInt8](data)
        try #require(Array(bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        var out: [(String, Data)] = []
        var p = 8
        func be(_ i: Int) -> Int { Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3]) }
        while p + 12 <= bytes.count {
            let n = be(p)
            let type = String(decoding: bytes[(p + 4)..<(p + 8)], as: UTF8.self)
            let body = Data(bytes[(p + 8)..<(p + 8 + n)])
            // CRC-32 (IEEE) over type + body, computed independently of zlib.
            var crc: UInt32 = 0xFFFF_FFFF
            for b in bytes[(p + 4)..<(p + 8 + n)] {
                crc ^= UInt32(b)
                for _ in 0..<8 { crc = (crc >> 1) ^ (crc & 1 == 1 ? 0xEDB8_8320 : 0) }
            }
            #expect(UInt32(be(p + 8 + n)) == ~crc, "CRC of \(type)")
            out.append((type, body))
            p += 12 + n
        }
        return out
    }

    @Test("heatmaps are valid PNGs of the map's shape times the scale")
    func png() throws {
        let map = TransportMap(plan: try Matrix(rows: 3, cols: 4, values: [0.25, 0, 0, 0, 0, 0.25, 0, 0, 0, 0, 0.25, 0.25].map { $0 / 1 * (1.0 / 1) }))
        let folder = NSTemporaryDirectory() + "transfuse-maps-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let files = try MapExport.plot([("model1/encoder.layer.0.intermediate.dense", map)], to: folder)
        #expect(files.count == 1 && files[0].hasSuffix("model1__encoder.layer.0.intermediate.dense.png"))
        let c = try chunks(try Data(contentsOf: URL(fileURLWithPath: files[0])))
        #expect(c.map(\.0) == ["IHDR", "IDAT", "IEND"])
        let header = [UInt8](c[0].1)
        let width = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        let height = Int(header[4]) << 24 | Int(header[5]) << 16 | Int(header[6]) << 8 | Int(header[7])
        #expect(width % 4 == 0 && height % 3 == 0 && width / 4 == height / 3 && width >= 4)
        #expect(header[8] == 8 && header[9] == 2)
        // zlib stream: CMF 0x78, and (CMF·256 + FLG) divisible by 31.
        let idat = [UInt8](c[1].1)
        #expect(idat[0] == 0x78 && (Int(idat[0]) * 256 + Int(idat[1])) % 31 == 0)
    }

    @Test("maps are stored as [n0, n1] tensors in reference scaling")
    func store() throws {
        let map = TransportMap(plan: try Matrix(rows: 2, cols: 2, values: [0, 0.5, 0.5, 0]))
        let store = try MapExport.store([("model1/embeddings", map)])
        let t = try #require(store["model1/embeddings"])
        #expect(t.shape == [2, 2])
        #expect(try t.floats() == [0, 1, 1, 0])
    }
}
