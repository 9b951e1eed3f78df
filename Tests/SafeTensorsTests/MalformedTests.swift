import Foundation
import Testing
import TestSupport
import WeightStore
@testable import SafeTensors

/// Broken files are refused with the right `SafeTensorsError` and never crash.
@Suite struct MalformedTests {
    // MARK: - Committed cases, each checked against the reference by make_fixtures.py

    @Test func committedCorpus() throws {
        let manifest = try FixtureManifest.load()
        #expect(manifest.malformed.count >= 18)
        for (path, expected) in manifest.malformed.sorted(by: { $0.key < $1.key }) {
            let fullPath = try TestFiles.fixtures.appendingPathComponent(path).path
            let error = try #require(throws: SafeTensorsError.self, "\(path)") {
                try SafeTensorsReader.read(path: fullPath)
            }
            #expect(error.name == expected.error, "\(path): \(error)")
            #expect(error.description.hasPrefix(fullPath + ": " + expected.error + ": "), "\(error)")
        }
    }

    // MARK: - Cases built here, one per check of FORMATS.md

    /// (label, header JSON, data byte count, expected error name)
    static let headerCases: [(String, String, Int, String)] = [
        ("gap", #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[8,12]}}"#, 12, "InvalidOffset"),
        ("overlap", #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}"#, 6, "InvalidOffset"),
        ("first not 0", #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#, 8, "InvalidOffset"),
        ("end before begin", #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}"#, 4, "InvalidOffset"),
        ("offset beyond Int", #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,18446744073709551615]}}"#, 0, "InvalidOffset"),
        ("wrong size", #"{"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,12]}}"#, 12, "TensorInvalidInfo"),
        ("scalar wrong size", #"{"a":{"dtype":"F64","shape":[],"data_offsets":[0,4]}}"#, 4, "TensorInvalidInfo"),
        ("short data", #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#, 3, "MetadataIncompleteBuffer"),
        ("trailing data", #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#, 5, "MetadataIncompleteBuffer"),
        ("shape overflow", #"{"a":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,0]}}"#, 0, "ValidationOverflow"),
        ("bits overflow", #"{"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}}"#, 0, "ValidationOverflow"),
        ("dim above Int.max", #"{"a":{"dtype":"U8","shape":[9223372036854775808,0],"data_offsets":[0,0]}}"#, 0, "ValidationOverflow"),
        ("sub-byte misaligned", #"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#, 2, "MisalignedSlice"),
        ("duplicate name", #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, 1, "DuplicateTensorName"),
        ("duplicate escaped name", #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"\u0061":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#, 2, "DuplicateTensorName"),
        ("unknown dtype", #"{"a":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}"#, 16, "InvalidHeaderDeserialization"),
        ("lowercase dtype", #"{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}"#, 4, "InvalidHeaderDeserialization"),
        ("negative dim", #"{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}"#, 0, "InvalidHeaderDeserialization"),
        ("float dim", #"{"a":{"dtype":"U8","shape":[1.0],"data_offsets":[0,1]}}"#, 1, "InvalidHeaderDeserialization"),
        ("exponent dim", #"{"a":{"dtype":"U8","shape":[1e0],"data_offsets":[0,1]}}"#, 1, "InvalidHeaderDeserialization"),
        ("negative offset", #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[-1,0]}}"#, 0, "InvalidHeaderDeserialization"),
        ("three offsets", #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1,1]}}"#, 1, "InvalidHeaderDeserialization"),
        ("missing dtype", #"{"a":{"shape":[1],"data_offsets":[0,1]}}"#, 1, "InvalidHeaderDeserialization"),
        ("missing shape", #"{"a":{"dtype":"U8","data_offsets":[0,1]}}"#, 1, "InvalidHeaderDeserialization"),
        ("missing offsets", #"{"a":{"dtype":"U8","shape":[1]}}"#, 1, "InvalidHeaderDeserialization"),
        ("unknown field", #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"extra":1}}"#, 1, "InvalidHeaderDeserialization"),
        ("repeated field", #"{"a":{"dtype":"U8","dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, 1, "InvalidHeaderDeserialization"),
        ("metadata int", #"{"__metadata__":{"epochs":3},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, 1, "InvalidHeaderDeserialization"),
        ("metadata null value", #"{"__metadata__":{"k":null}}"#, 0, "InvalidHeaderDeserialization"),
        ("metadata array", #"{"__metadata__":["format","pt"]}"#, 0, "InvalidHeaderDeserialization"),
        ("metadata twice", #"{"__metadata__":{},"__metadata__":{}}"#, 0, "InvalidHeaderDeserialization"),
        ("metadata duplicate key", #"{"__metadata__":{"k":"1","k":"2"}}"#, 0, "InvalidHeaderDeserialization"),
        ("tensor is string", #"{"a":"b"}"#, 0, "InvalidHeaderDeserialization"),
        ("top-level array", #"[]"#, 0, "InvalidHeaderDeserialization"),
        ("trailing comma", #"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},}"#, 1, "InvalidHeaderDeserialization"),
        ("trailing NUL", "{}\u{0}", 0, "InvalidHeaderDeserialization"),
        ("lone surrogate", #"{"\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#, 1, "InvalidHeaderDeserialization"),
        ("raw control char", "{\"a\u{1}\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", 1, "InvalidHeaderDeserialization"),
        ("empty header", "", 0, "InvalidHeaderDeserialization"),
        ("deep nesting", "{\"__x\":" + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}", 0, "InvalidHeaderDeserialization"),
    ]

    @Test(arguments: headerCases.indices)
    func headerCase(index: Int) throws {
        let (label, json, dataCount, expected) = Self.headerCases[index]
        let file = Self.file(header: Array(json.utf8), data: [UInt8](repeating: 7, count: dataCount))
        let error = try #require(throws: SafeTensorsError.self, "\(label)") {
            try SafeTensorsHeader.parse(bytes: file, path: "case.safetensors")
        }
        #expect(error.name == expected, "\(label): \(error)")
        #expect(error.description.hasPrefix("case.safetensors: \(expected): "), "\(label)")
    }

    @Test func lengthPrefixCases() throws {
        func name(_ bytes: [UInt8]) throws -> String {
            try #require(throws: SafeTensorsError.self) { try SafeTensorsHeader.parse(bytes: bytes, path: "x") }.name
        }
        #expect(try name([]) == "HeaderTooSmall")
        #expect(try name([1, 0, 0, 0, 0, 0, 0]) == "HeaderTooSmall")
        #expect(try name(Self.littleEndian(100_000_001) + Array("{}".utf8)) == "HeaderTooLarge")
        #expect(try name(Self.littleEndian(UInt64.max)) == "HeaderTooLarge")
        #expect(try name(Self.littleEndian(3) + Array("{}".utf8)) == "InvalidHeaderLength")
        #expect(try name(Self.littleEndian(100_000_000)) == "InvalidHeaderLength")
        let invalidUTF8 = Self.file(header: [0x7B, 0x22, 0xC0, 0xAF, 0x22, 0x3A, 0x7B, 0x7D, 0x7D], data: [])
        #expect(try name(invalidUTF8) == "InvalidHeaderDeserialization")
    }

    @Test func messagesNameTheTensorAndShapes() throws {
        let gap = Self.file(header: Array(#"{"a.weight":{"dtype":"U8","shape":[128],"data_offsets":[0,128]},"b.weight":{"dtype":"U8","shape":[4],"data_offsets":[96,100]}}"#.utf8), data: [UInt8](repeating: 0, count: 128))
        let error = try #require(throws: SafeTensorsError.self) { try SafeTensorsHeader.parse(bytes: gap, path: "model.safetensors") }
        #expect(error.description == "model.safetensors: InvalidOffset: tensor 'b.weight' begins at 96 but the previous tensor 'a.weight' ends at 128 (it overlaps it)")
        let size = Self.file(header: Array(#"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,20]}}"#.utf8), data: [UInt8](repeating: 0, count: 20))
        let sizeError = try #require(throws: SafeTensorsError.self) { try SafeTensorsHeader.parse(bytes: size, path: "m.safetensors") }
        #expect(sizeError.description == "m.safetensors: TensorInvalidInfo: tensor 'w' (F32 [2, 3]) needs 24 bytes but its data_offsets [0, 20] span 20")
    }

    // MARK: - Truncations and random bytes

    /// A valid file cut at every offset: always refused (never a crash), with the checks of
    /// the region the cut falls in.
    @Test func truncatedAtEveryOffset() throws {
        let path = try TestFiles.fixtures.appendingPathComponent("dtypes.safetensors").path
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let header = try SafeTensorsHeader.parse(bytes: file, path: "full")
        for cut in 0..<file.count {
            let error = try #require(throws: SafeTensorsError.self, "cut at \(cut)") {
                try SafeTensorsHeader.parse(bytes: Array(file[..<cut]), path: "cut")
            }
            let expected = cut < 8 ? "HeaderTooSmall" : cut < header.dataStart ? "InvalidHeaderLength" : "MetadataIncompleteBuffer"
            #expect(error.name == expected, "cut at \(cut): \(error)")
        }
    }

    /// The header bytes themselves truncated (with a consistent length prefix): JSON errors.
    @Test func headerTextTruncatedAtEveryOffset() throws {
        let path = try TestFiles.fixtures.appendingPathComponent("odd_names.safetensors").path
        let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let header = try SafeTensorsHeader.parse(bytes: file, path: "full")
        let json = Array(file[8..<header.dataStart])
        let data = Array(file[header.dataStart...])
        let closing = json.lastIndex(of: UInt8(ascii: "}")) ?? json.count
        for cut in 0..<closing {
            let error = try #require(throws: SafeTensorsError.self, "cut at \(cut)") {
                try SafeTensorsHeader.parse(bytes: Self.file(header: Array(json[..<cut]), data: data), path: "cut")
            }
            #expect(error.name == "InvalidHeaderDeserialization", "cut at \(cut): \(error)")
        }
    }

    /// Seeded random files and random mutations of a valid one: parse or throw, never crash;
    /// whatever parses satisfies the header's invariants.
    @Test(arguments: 0..<4)
    func randomBytes(seed: Int) throws {
        var generator = SplitMix64(seed: UInt64(seed))
        let path = try TestFiles.fixtures.appendingPathComponent("bf16.safetensors").path
        let valid = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var accepted = 0
        for round in 0..<2_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = TestFiles.bytes(count: Int.random(in: 0..<512, using: &generator), seed: generator.next())
                if round % 4 == 0, bytes.count >= 8 {  // plausible length prefix
                    bytes.replaceSubrange(0..<8, with: Self.littleEndian(UInt64.random(in: 0...UInt64(bytes.count - 8), using: &generator)))
                }
            } else {
                bytes = valid
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
            }
            do {
                let header = try SafeTensorsHeader.parse(bytes: bytes, path: "random")
                accepted += 1
                #expect(header.dataStart + header.dataByteCount == bytes.count)
                #expect(Set(header.entries.map(\.name)).count == header.entries.count)
            } catch is SafeTensorsError {
                // refused cleanly
            }
        }
        #expect(accepted < 2_000)
    }

    @Test func missingFileIsAnIOError() throws {
        let error = try #require(throws: SafeTensorsError.self) {
            try SafeTensorsReader.read(path: "/nonexistent/model.safetensors")
        }
        #expect(error.name == "IOError")
        #expect(error.description.hasPrefix("/nonexistent/model.safetensors: "))
    }

    // MARK: - Helpers

    static func littleEndian(_ value: UInt64) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static func file(header: [UInt8], data: [UInt8]) -> [UInt8] {
        littleEndian(UInt64(header.count)) + header + data
    }
}
