import Testing
@testable import SafeTensors

/// The strict order-preserving JSON parser behind headers and indexes.
@Suite struct JSONParserTests {
    private func parse(_ text: String) throws -> JSONValue {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { try JSONParser.parse($0) }
    }

    @Test func keepsOrderAndDuplicates() throws {
        let value = try parse(#" {"b": 1, "a": [true, false, null], "b": "x"} "#)
        guard case let .object(members) = value else { Issue.record("not an object"); return }
        #expect(members.map(\.key) == ["b", "a", "b"])
        #expect(members[1].value == .array([.bool(true), .bool(false), .null]))
        #expect(members[2].value == .string("x"))
    }

    @Test(arguments: [
        (#""plain""#, "plain"),
        (#""q\"b\\s\/n\nt\tr\rb\bf\f""#, "q\"b\\s/n\nt\tr\rb\u{8}f\u{C}"),
        (#""\u00e9\u6743\ud83d\ude42""#, "é权🙂"),
        ("\"raw ü 权 🙂\"", "raw ü 权 🙂"),
        (#""\u0000""#, "\u{0}"),
    ])
    func strings(text: String, expected: String) throws {
        #expect(try parse(text) == .string(expected))
    }

    @Test(arguments: ["0", "-0", "42", "-1.5e3", "1E+2", "18446744073709551616"])
    func numbersKeepTheirText(text: String) throws {
        #expect(try parse(text) == .number(text))
    }

    @Test func unsignedIntegers() throws {
        #expect(try parse("18446744073709551615").unsignedInteger == UInt64.max)
        #expect(try parse("18446744073709551616").unsignedInteger == nil)
        #expect(try parse("-0").unsignedInteger == nil)
        #expect(try parse("1.0").unsignedInteger == nil)
        #expect(try parse("\"1\"").unsignedInteger == nil)
    }

    @Test(arguments: ["", " ", "{", "}", "[1,]", "{\"a\":1,}", "{'a':1}", "01", "1.", ".5", "-", "1e", "+1",
                      "tru", "nul", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
                      "\"a\nb\"", "{} {}", "[1 2]", "{\"a\" 1}", "NaN", "Infinity", "/* c */ {}",
                      String(repeating: "[", count: 129) + String(repeating: "]", count: 129)])
    func rejects(text: String) {
        #expect(throws: JSONSyntaxError.self, "\(text.debugDescription)") { try parse(text) }
    }

    @Test func nestingLimit() throws {
        let ok = String(repeating: "[", count: 128) + String(repeating: "]", count: 128)
        #expect(throws: Never.self) { try parse(ok) }
    }

    @Test func rejectsInvalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC0, 0x80, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
                               [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22]] {
            #expect(throws: JSONSyntaxError.self, "\(bytes)") { try bytes.withUnsafeBytes { try JSONParser.parse($0) } }
        }
    }

    @Test(arguments: ["", "a", "q\"b\\s", "ctl\u{1}\u{1F}\u{7F}", "tab\tnl\n", "ü权🙂", "\u{0}"])
    func quotedRoundTrips(text: String) throws {
        #expect(try parse(JSONText.quoted(text)) == .string(text))
    }
}
