import Checkpoints
import Foundation
@testable import Fusion
import NamingSchemes
import Testing
import TestSupport
import WeightStore

/// The bundled naming-scheme registry and paths of committed fixtures and samples.
enum TestEnvironment {
    static let registry: SchemeRegistry = {
        do { return try SchemeRegistry.load(environment: [:]) } catch { fatalError("bundled rule files: \(error)") }
    }()

    static var fixtures: String { Bundle.module.resourceURL!.appendingPathComponent("Fixtures").path }

    /// The repository root (for Samples/), found from this file's path.
    static var repository: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    static func sample(_ name: String) -> String { repository + "/Samples/" + name }

    static func canonical(_ store: WeightStore) throws -> CanonicalModel {
        try SchemeConverter.toCanonical(store, registry: registry)
    }

    static func read(_ path: String) throws -> CanonicalModel {
        try canonical(Checkpoint.read(path))
    }
}

extension SplitMix64 {
    /// A normal sample with standard deviation `scale` (Box–Muller).
    mutating func normal(_ scale: Float) -> Float {
        let u = Float.random(in: Float.ulpOfOne..<1, using: &self), v = Float.random(in: 0..<1, using: &self)
        return scale * (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * .pi * v)
    }
}

/// Random Hugging Face models (hf-vit / hf-bert names and config) for tests.
enum RandomModels {
    static func vit(hidden: Int = 16, heads: Int = 2, layers: Int = 2, intermediate: Int = 32, patch: Int = 2,
                    image: Int = 4, channels: Int = 1, labels: Int = 3, seed: UInt64 = 1) throws -> WeightStore {
        var g = SplitMix64(seed: seed)
        let tokens = (image / patch) * (image / patch) + 1
        var tensors: [Tensor] = []
        func add(_ name: String, _ shape: [Int], _ scale: Float = 0.5, offset: Float = 0) throws {
            let n = shape.reduce(1, *)
            tensors.append(try Tensor.fromFloats(name: name, shape: shape, values: (0..<n).map { _ in offset + g.normal(scale) }))
        }
        try add("vit.embeddings.cls_token", [1, 1, hidden])
        try add("vit.embeddings.position_embeddings", [1, tokens, hidden])
        try add("vit.embeddings.patch_embeddings.projection.weight", [hidden, channels, patch, patch])
        try add("vit.embeddings.patch_embeddings.projection.bias", [hidden])
        for i in 0..<layers {
            let p = "vit.encoder.layer.\(i)."
            try add(p + "layernorm_before.weight", [hidden], 0.1, offset: 1)
            try add(p + "layernorm_before.bias", [hidden], 0.1)
            for n in ["query", "key", "value"] {
                try add(p + "attention.attention.\(n).weight", [hidden, hidden])
                try add(p + "attention.attention.\(n).bias", [hidden], 0.1)
            }
            try add(p + "attention.output.dense.weight", [hidden, hidden])
            try add(p + "attention.output.dense.bias", [hidden], 0.1)
            try add(p + "layernorm_after.weight", [hidden], 0.1, offset: 1)
            try add(p + "layernorm_after.bias", [hidden], 0.1)
            try add(p + "intermediate.dense.weight", [intermediate, hidden])
            try add(p + "intermediate.dense.bias", [intermediate], 0.1)
            try add(p + "output.dense.weight", [hidden, intermediate])
            try add(p + "output.dense.bias", [hidden], 0.1)
        }
        try add("vit.layernorm.weight", [hidden], 0.1, offset: 1)
        try add("vit.layernorm.bias", [hidden], 0.1)
        try add("classifier.weight", [labels, hidden])
        try add("classifier.bias", [labels], 0.1)
        let config = """
            {"model_type": "vit", "architectures": ["ViTForImageClassification"], "hidden_size": \(hidden), \
            "num_attention_heads": \(heads), "num_hidden_layers": \(layers), "intermediate_size": \(intermediate), \
            "patch_size": \(patch), "image_size": \(image), "num_channels": \(channels), "layer_norm_eps": 1e-12, \
            "hidden_act": "gelu", "id2label": {\((0..<labels).map { "\"\($0)\": \"L\($0)\"" }.joined(separator: ", "))}}
            """
        return try WeightStore(tensors: tensors, configJSON: config)
    }
}
