import Foundation
@testable import NamingSchemes
import Testing
import WeightStore

/// Unknown and incomplete checkpoints give the precise error, never a crash.
@Suite("Precise errors")
struct ErrorTests {
    let registry = Fixtures.registry

    func mlm() throws -> WeightStore { try Fixtures.read("hf-bert-mlm") }

    @Test("a missing tensor of a middle layer is named by its key")
    func missingLayerTensor() throws {
        var store = try mlm()
        for name in store.names where name.hasPrefix("bert.encoder.layer.0.") { store.remove(name) }
        let error = namingError { _ = try SchemeConverter.toCanonical(store, registry: registry) }
        guard case let .missingTensor(key, canonical, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(key == "bert.encoder.layer.0.attention.self.query.weight")
        #expect(canonical == "encoder.layer.0.attention.self.query.weight")
    }

    @Test("a missing last layer contradicts the config's layer count")
    func missingLastLayer() throws {
        var store = try mlm()
        for name in store.names where name.hasPrefix("bert.encoder.layer.1.") { store.remove(name) }
        let error = namingError { _ = try SchemeConverter.toCanonical(store, registry: registry) }
        #expect(error == .configMismatch(symbol: "layers", configKey: "num_hidden_layers", configValue: 2,
                                         evidence: "the layer indices found run 0…0", shapeValue: 1))
    }

    @Test("a wrong shape names the key, the rule, the expected and the found shape")
    func wrongShape() throws {
        var store = try mlm()
        let name = "bert.encoder.layer.1.intermediate.dense.weight"
        store.set(try Tensor.fromFloats(name: name, shape: [30, 16], values: Array(repeating: 0, count: 480)))
        let error = namingError { _ = try SchemeConverter.toCanonical(store, registry: registry) }
        guard case let .shapeMismatch(key, rule, expected, found)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(key == name)
        #expect(rule == "#16 '{prefix}encoder.layer.{i}.intermediate.dense.weight'")
        #expect(expected == "[intermediate=32, hidden=16]")
        #expect(found == [30, 16])
        #expect(error!.description.contains("bert.encoder.layer.1.intermediate.dense.weight: expected [intermediate=32, hidden=16], found [30, 16]"))
    }

    @Test("an extra tensor is reported by name")
    func extraTensor() throws {
        var store = try mlm()
        let extra = "bert.encoder.layer.0.attention.self.rotary.weight"
        try store.append(try Tensor.fromFloats(name: extra, shape: [2], values: [1, 2]))
        let detected = namingError { _ = try SchemeConverter.toCanonical(store, registry: registry) }
        guard case let .noSchemeMatches(closest, unmatched, _)? = detected else { Issue.record("got \(String(describing: detected))"); return }
        #expect(closest.hasPrefix("hf-bert"))
        #expect(unmatched == [extra])
        let named = namingError { _ = try SchemeConverter.toCanonical(store, scheme: "hf-bert", registry: registry) }
        guard case let .unmappedTensors(_, keys)? = named else { Issue.record("got \(String(describing: named))"); return }
        #expect(keys == [extra])
    }

    @Test("a config disagreeing with the shapes")
    func configDisagrees() throws {
        var store = try mlm()
        store.configJSON = store.configJSON!.replacingOccurrences(of: "\"hidden_size\": 16", with: "\"hidden_size\": 32")
        let error = namingError { _ = try SchemeConverter.toCanonical(store, registry: registry) }
        guard case let .configMismatch(symbol, key, value, _, found)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(symbol == "hidden" && key == "hidden_size" && value == 32 && found == 16)
    }

    @Test("the head count: missing, contradicting the config, or given")
    func heads() throws {
        var store = try mlm()
        store.configJSON = nil
        let canonical = try SchemeConverter.toCanonical(store, registry: registry)
        #expect(canonical.architecture.heads == nil)
        #expect(throws: NamingSchemeError.self) { _ = try canonical.architecture.requireHeads() }
        var backbone = canonical.store
        for name in backbone.names where name.hasPrefix("cls.") { backbone.remove(name) }
        let missing = namingError { _ = try SchemeConverter.fromCanonical(backbone, to: "keras-hub-bert", registry: registry) }
        guard case let .missingHeads(reason)? = missing else { Issue.record("got \(String(describing: missing))"); return }
        #expect(reason.contains("heads"))
        #expect(missing!.description.contains("--heads"))
        let keras = try SchemeConverter.fromCanonical(backbone, to: "keras-hub-bert", heads: 2, registry: registry)
        #expect(keras["layers/transformer_encoder_1/_self_attention_layer/query_dense/vars/0"]?.shape == [16, 2, 8])
        let contradiction = namingError { _ = try SchemeConverter.toCanonical(try mlm(), heads: 4, registry: registry) }
        #expect(contradiction == .headsMismatch(given: 4, found: 2, source: "the config (num_attention_heads = 2)"))
        let fromShapes = namingError { _ = try SchemeConverter.toCanonical(try Fixtures.read("google-vit/model.npz"), heads: 4, registry: registry) }
        guard case .headsMismatch(4, 2, _)? = fromShapes else { Issue.record("got \(String(describing: fromShapes))"); return }
    }

    @Test("keys disagreeing about the prefix")
    func inconsistentPrefix() throws {
        var store = try mlm()
        let tensor = try #require(store["bert.embeddings.LayerNorm.bias"])
        store.remove(tensor.name)
        try store.append(tensor.renamed("embeddings.LayerNorm.bias"))
        let error = namingError { _ = try SchemeConverter.toCanonical(store, scheme: "hf-bert", registry: registry) }
        guard case let .inconsistentVariant(_, placeholder, _, _, _, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(placeholder == "prefix")
    }

    @Test("a head that is only partly present")
    func incompleteHead() throws {
        var store = try mlm()
        store.remove("cls.predictions.transform.dense.bias")
        let error = namingError { _ = try SchemeConverter.toCanonical(store, registry: registry) }
        guard case let .incompleteGroup(group, _, missing)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(group.hasPrefix("mlm_head"))
        #expect(missing == ["cls.predictions.transform.dense.bias"])
    }

    @Test("a canonical tensor the target scheme cannot hold")
    func unrepresentable() throws {
        let canonical = try SchemeConverter.toCanonical(try Fixtures.read("hf-vit-model"), registry: registry)
        let error = namingError { _ = try SchemeConverter.fromCanonical(canonical.store, to: "timm-vit", registry: registry) }
        guard case let .unrepresentable(name, scheme, _)? = error else { Issue.record("got \(String(describing: error))"); return }
        #expect(name == "pooler.dense.weight" && scheme == "timm-vit")
    }

    @Test("unknown schemes, empty and foreign checkpoints")
    func unknown() throws {
        #expect(namingError { _ = try SchemeConverter.toCanonical(try mlm(), scheme: "nope", registry: registry) }
                == .unknownScheme(name: "nope", known: registry.schemeNames))
        #expect(namingError { _ = try SchemeConverter.toCanonical(try WeightStore(), registry: registry) } == .emptyStore)
        let foreign = try WeightStore(tensors: [try Tensor.fromFloats(name: "model.layers.0.mlp.gate_proj.weight", shape: [2], values: [0, 1])])
        guard case .noSchemeMatches? = namingError({ _ = try SchemeConverter.toCanonical(foreign, registry: registry) }) else {
            Issue.record("a Llama key must match no scheme"); return
        }
    }
}
