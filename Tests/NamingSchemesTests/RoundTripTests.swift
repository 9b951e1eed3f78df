import Foundation
@testable import NamingSchemes
import Testing
import WeightStore

/// Fixtures written natively in each scheme by the reference libraries.
let nativeFixtures: [(scheme: String, fixture: String)] = [
    ("hf-vit", "hf-vit-classifier"), ("hf-vit", "hf-vit-model"), ("hf-vit", "timm-vit/hf-reference.safetensors"),
    ("timm-vit", "timm-vit/model.safetensors"), ("timm-vit", "google-vit/timm-reference.safetensors"),
    ("google-vit", "google-vit/model.npz"),
    ("hf-bert", "hf-bert-model"), ("hf-bert", "hf-bert-mlm"), ("hf-bert", "hf-bert-pretraining"),
    ("hf-bert", "hf-bert-classifier"), ("hf-bert", "hf-bert-legacy"),
    ("tf-bert", "tf-bert/model.safetensors"), ("tf-bert", "tf-bert-h5-classifier/tf_model.h5"),
    ("keras-hub-bert", "keras-hub-bert/model-h5-paths.safetensors"),
]

/// Every fixture each scheme can represent (a scheme without a pooler or MLM rule cannot hold
/// those heads).
let representable: [String: [String]] = [
    "canonical": nativeFixtures.map(\.fixture),
    "hf-vit": ["hf-vit-classifier", "hf-vit-model", "timm-vit/model.safetensors", "google-vit/model.npz"],
    "timm-vit": ["hf-vit-classifier", "timm-vit/model.safetensors", "google-vit/model.npz"],
    "google-vit": ["hf-vit-classifier", "hf-vit-model", "timm-vit/model.safetensors", "google-vit/model.npz"],
    "hf-bert": ["hf-bert-model", "hf-bert-mlm", "hf-bert-pretraining", "hf-bert-classifier", "hf-bert-legacy",
                "tf-bert/model.safetensors", "keras-hub-bert/model-h5-paths.safetensors", "tf-bert-h5-classifier/tf_model.h5"],
    "tf-bert": ["hf-bert-model", "hf-bert-mlm", "hf-bert-pretraining", "hf-bert-classifier", "hf-bert-legacy",
                "tf-bert/model.safetensors", "keras-hub-bert/model-h5-paths.safetensors", "tf-bert-h5-classifier/tf_model.h5"],
    "keras-hub-bert": ["hf-bert-model", "tf-bert/model.safetensors", "keras-hub-bert/model-h5-paths.safetensors"],
]

let roundTripCases: [(String, String)] = representable.sorted { $0.key < $1.key }.flatMap { scheme, fixtures in
    fixtures.map { (scheme, $0) }
}

@Suite("Round trips through the canonical layout")
struct RoundTripTests {
    @Test("every bundled rule file has round-trip cases")
    func everySchemeCovered() {
        #expect(Set(representable.keys) == Set(Fixtures.registry.schemeNames))
        #expect(Set(nativeFixtures.map(\.scheme)).union(["canonical"]) == Set(Fixtures.registry.schemeNames))
    }

    @Test("scheme → canonical → scheme is bit-identical", arguments: nativeFixtures.map { [$0.scheme, $0.fixture] })
    func schemeToCanonicalAndBack(_ pair: [String]) throws {
        let (scheme, fixture) = (pair[0], pair[1])
        let store = try Fixtures.read(fixture)
        let canonical = try SchemeConverter.toCanonical(store, registry: Fixtures.registry)
        #expect(canonical.detected.scheme == scheme)
        let back = try SchemeConverter.fromCanonical(canonical.store, to: scheme, registry: Fixtures.registry)
        try expectIdentical(store, back)
        #expect(back.metadata == store.metadata)
        #expect(back.configJSON == store.configJSON)
    }

    @Test("canonical → scheme → canonical is bit-identical", arguments: roundTripCases.map { [$0.0, $0.1] })
    func canonicalToSchemeAndBack(_ pair: [String]) throws {
        let (scheme, fixture) = (pair[0], pair[1])
        // Fixtures without a config.json (timm, tf-bert) need the head count for schemes that
        // split heads, as a user passes --heads; every fixture has 2 heads.
        let canonical = try SchemeConverter.toCanonical(try Fixtures.read(fixture), heads: 2, registry: Fixtures.registry)
        let converted = try SchemeConverter.fromCanonical(canonical.store, to: scheme, heads: 2, registry: Fixtures.registry)
        let again = try SchemeConverter.toCanonical(converted, scheme: scheme, heads: 2, registry: Fixtures.registry)
        try expectIdentical(canonical.store, again.store, ordered: true)
        #expect(again.architecture.layers == canonical.architecture.layers)
        #expect(again.architecture.hidden == canonical.architecture.hidden)
    }
}
