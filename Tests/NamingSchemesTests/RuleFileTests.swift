import Foundation
@testable import NamingSchemes
import Testing
import WeightStore

/// Users' own rule files load without rebuilding, and rule files are validated strictly.
@Suite("Rule files")
struct RuleFileTests {
    /// A folder holding `files` (name → JSON text), removed afterwards.
    func withFolder(_ files: [String: String], _ body: (String) throws -> Void) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ns-rules-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        for (name, text) in files { try text.write(toFile: folder + "/" + name, atomically: true, encoding: .utf8) }
        try body(folder)
    }

    /// A user scheme: timm names with a `model.` prefix, as some training frameworks save them.
    static let prefixedTimm: String = {
        let data = FileManager.default.contents(atPath: ConverterRulesPath.timm)!
        var object = try! JSONSerialization.jsonObject(with: data) as! [String: Any]
        object["scheme"] = "wrapped-timm-vit"
        var dialects = object["dialects"] as! [[String: Any]]
        dialects[0]["rules"] = (dialects[0]["rules"] as! [[String: Any]]).map { rule in
            var rule = rule
            rule["key"] = "model." + (rule["key"] as! String)
            return rule
        }
        object["dialects"] = dialects
        return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }()

    @Test("a user folder adds a scheme, by --schemes and by TRANSFUSE_SCHEMES")
    func userScheme() throws {
        try withFolder(["wrapped.json": Self.prefixedTimm]) { folder in
            for registry in [try SchemeRegistry.load(userDirectories: [folder], environment: [:]),
                             try SchemeRegistry.load(environment: [SchemeRegistry.environmentVariable: folder])] {
                #expect(registry.schemeNames.contains("wrapped-timm-vit"))
                let timm = try Fixtures.read("timm-vit/model.safetensors")
                let wrapped = try SchemeConverter.convert(timm, to: "wrapped-timm-vit", registry: registry)
                #expect(wrapped.names.allSatisfy { $0.hasPrefix("model.") })
                let back = try SchemeConverter.convert(wrapped, to: "timm-vit", registry: registry)
                try expectIdentical(timm, back)
                let detected = try SchemeDetector.detect(wrapped, registry: registry)
                #expect(detected.scheme == "wrapped-timm-vit")
            }
        }
    }

    static let invalid: [(String, String, String)] = [
        ("unknown field", #"{"format_version": 1, "scheme": "x", "family": "vit", "dialects": [], "colour": 1}"#, "unknown field 'colour'"),
        ("future version", #"{"format_version": 2, "scheme": "x", "family": "vit", "dialects": []}"#, "format_version 2 is not supported"),
        ("unknown family", #"{"format_version": 1, "scheme": "x", "family": "gpt", "dialects": [{"name": "a", "rules": []}]}"#, "unknown family 'gpt'"),
        ("unknown canonical tensor", #"{"format_version": 1, "scheme": "x", "family": "vit", "dialects": [{"name": "a", "rules": [{"key": "k", "canonical": "embeddings.nope", "shape": ["hidden"]}]}]}"#, "'embeddings.nope' is not a tensor"),
        ("wrong transform", #"{"format_version": 1, "scheme": "x", "family": "vit", "dialects": [{"name": "a", "rules": [{"key": "blocks.{i}.w", "canonical": "encoder.layer.{i}.intermediate.dense.weight", "shape": ["intermediate", "hidden"], "transform": [{"transpose": [1, 0]}]}]}]}"#, "the transform turns [intermediate, hidden] into [hidden, intermediate]"),
        ("undeclared placeholder", #"{"format_version": 1, "scheme": "x", "family": "vit", "dialects": [{"name": "a", "rules": [{"key": "{p}cls", "canonical": "embeddings.cls_token", "shape": ["1", "1", "hidden"]}]}]}"#, "placeholder {p} is not declared"),
        ("layer on one side", #"{"format_version": 1, "scheme": "x", "family": "vit", "dialects": [{"name": "a", "rules": [{"key": "norm.w", "canonical": "encoder.layer.{i}.layernorm_before.weight", "shape": ["hidden"]}]}]}"#, "must both contain {i} or neither"),
        ("unknown symbol", #"{"format_version": 1, "scheme": "x", "family": "vit", "dialects": [{"name": "a", "rules": [{"key": "cls", "canonical": "embeddings.cls_token", "shape": ["1", "1", "width"]}]}]}"#, "unknown symbol 'width'"),
        ("not JSON", "{", "not valid JSON"),
    ]

    @Test("invalid rule files are rejected with file and JSON path", arguments: invalid.map { [$0.0, $0.1, $0.2] })
    func invalidRuleFile(_ testCase: [String]) throws {
        try withFolder(["bad.json": testCase[1]]) { folder in
            let error = namingError { _ = try SchemeRegistry.load(userDirectories: [folder], environment: [:]) }
            guard case let .invalidRuleFile(file, _, _)? = error else { Issue.record("\(testCase[0]): got \(String(describing: error))"); return }
            #expect(file.hasSuffix("bad.json"))
            #expect(error!.description.contains(testCase[2]), "\(testCase[0]): \(error!.description)")
        }
    }

    @Test("key templates match whole keys only")
    func templates() throws {
        let template = try KeyTemplate.parse("{prefix}encoder.layer.{i}.output.dense.weight").get()
        let values = ["prefix": ["", "bert."]]
        #expect(template.match("bert.encoder.layer.11.output.dense.weight", values: values) == ["prefix": "bert.", "i": "11"])
        #expect(template.match("encoder.layer.0.output.dense.weight", values: values) == ["prefix": "", "i": "0"])
        #expect(template.match("encoder.layer.01.output.dense.weight", values: values) == nil)
        #expect(template.match("xbert.encoder.layer.1.output.dense.weight", values: values) == nil)
        #expect(template.match("encoder.layer.1.output.dense.weight.extra", values: values) == nil)
        let keras = try KeyTemplate.parse("layers/transformer_encoder{_i}/vars/0").get()
        #expect(keras.match("layers/transformer_encoder/vars/0") == ["i": "0"])
        #expect(keras.match("layers/transformer_encoder_3/vars/0") == ["i": "3"])
        #expect(keras.match("layers/transformer_encoder_0/vars/0") == nil)
        #expect(keras.expand(layer: 0, [:]) == "layers/transformer_encoder/vars/0")
        #expect(keras.expand(layer: 5, [:]) == "layers/transformer_encoder_5/vars/0")
    }

    @Test("axis permutation agrees with a naive index computation", arguments: [[2, 3], [4, 2, 3], [2, 3, 4, 5]])
    func permutation(_ shape: [Int]) throws {
        let count = shape.reduce(1, *)
        let values = (0..<count).map { UInt32($0) }
        let axes = Array((0..<shape.count).reversed())
        let output = values.withUnsafeBytes { TensorBytes.permute($0, shape: shape, width: 4, axes: axes) }
        let result = output.withUnsafeBytes { Array($0.bindMemory(to: UInt32.self)) }
        let outShape = axes.map { shape[$0] }
        for flat in 0..<count {
            var rest = flat, index = [Int](repeating: 0, count: shape.count)
            for axis in (0..<shape.count).reversed() { index[axis] = rest % outShape[axis]; rest /= outShape[axis] }
            var source = 0
            for axis in 0..<shape.count { source = source * shape[axis] + index[axes.firstIndex(of: axis)!] }
            #expect(result[flat] == UInt32(source))
        }
    }
}

/// The bundled timm rule file, read to derive a user scheme from it.
enum ConverterRulesPath {
    static var timm: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Converters/timm-vit.json").path
    }
}
