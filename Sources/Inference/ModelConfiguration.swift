import Foundation

// MARK: - Hugging Face config.json values the forward passes need

/// The hidden activation of the MLP (`hidden_act`), as transformers defines it.
public enum HiddenActivation: String, Sendable, Equatable {
    /// `gelu`: the exact GELU, `x · Φ(x) = x/2 · (1 + erf(x/√2))`.
    case gelu
    /// `gelu_new` / `gelu_pytorch_tanh` / `gelu_fast`: the tanh approximation.
    case geluTanh
    case relu
    /// `silu` / `swish`: `x · σ(x)`.
    case silu

    /// Parses transformers' `hidden_act` names.
    public init?(name: String) {
        switch name {
        case "gelu": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": self = .geluTanh
        case "relu": self = .relu
        case "silu", "swish": self = .silu
        default: return nil
        }
    }
}

/// The keys of a Hugging Face config.json, with errors that name the file and the key.
struct ConfigReader {
    let source: String
    let values: [String: Any]

    /// Parses `json`; `source` names the model in errors.
    init(json: String?, source: String) throws {
        self.source = source
        guard let json else {
            throw InferenceError.config(source: source, message: "the model has no config.json; Transfuse needs hidden_size, num_attention_heads, … to run it (put config.json beside the weights)")
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)), let dict = object as? [String: Any] else {
            throw InferenceError.config(source: source, message: "config.json is not a JSON object")
        }
        values = dict
    }

    /// A positive integer under the first of `keys` present, or `fallback`.
    func int(_ keys: [String], fallback: Int? = nil) throws -> Int {
        for key in keys {
            guard let raw = values[key], !(raw is NSNull) else { continue }
            if let number = raw as? NSNumber, number.doubleValue == number.doubleValue.rounded(), number.intValue > 0 {
                return number.intValue
            }
            throw InferenceError.config(source: source, message: "\(key) must be a positive integer, found \(raw)")
        }
        if let fallback { return fallback }
        throw InferenceError.config(source: source, message: "missing key \(keys.joined(separator: " / "))")
    }

    /// A number under `key`, or `fallback`.
    func double(_ key: String, fallback: Double) throws -> Double {
        guard let raw = values[key], !(raw is NSNull) else { return fallback }
        guard let number = raw as? NSNumber else {
            throw InferenceError.config(source: source, message: "\(key) must be a number, found \(raw)")
        }
        return number.doubleValue
    }

    /// `hidden_act` (transformers' default is `gelu`).
    func activation(_ key: String = "hidden_act") throws -> HiddenActivation {
        guard let raw = values[key], !(raw is NSNull) else { return .gelu }
        guard let name = raw as? String, let act = HiddenActivation(name: name) else {
            throw InferenceError.unsupported(source: source, message: "\(key) \(raw) is not supported (gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu)")
        }
        return act
    }

    /// The number of labels: `num_labels`, else the size of `id2label`, else nil.
    func labelCount() -> Int? {
        if let n = values["num_labels"] as? NSNumber, n.intValue > 0 { return n.intValue }
        if let map = values["id2label"] as? [String: Any], !map.isEmpty { return map.count }
        return nil
    }

    /// Heads from the config, or `override` (`--heads`), checked against `hidden`.
    func heads(hidden: Int, override: Int?) throws -> Int {
        let heads = try override ?? int(["num_attention_heads", "num_heads"])
        guard heads > 0, hidden % heads == 0 else {
            throw InferenceError.config(source: source, message: "hidden_size \(hidden) is not divisible by \(heads) attention heads")
        }
        return heads
    }
}

/// A ViT image classifier's shape and numerics (`ViTConfig`).
public struct ViTConfiguration: Sendable, Equatable {
    public var hidden: Int
    public var heads: Int
    public var layers: Int
    public var intermediate: Int
    public var imageSize: Int
    public var patchSize: Int
    public var channels: Int
    public var layerNormEps: Float
    public var activation: HiddenActivation
    /// Patches per side: `imageSize / patchSize`.
    public var grid: Int { imageSize / patchSize }
    /// Tokens per image: the class token plus `grid²` patches.
    public var tokens: Int { grid * grid + 1 }

    /// Reads config.json text. `heads` overrides `num_attention_heads`.
    /// - Throws: `InferenceError.config` naming the missing or invalid key.
    public init(json: String?, source: String, heads: Int? = nil) throws {
        let reader = try ConfigReader(json: json, source: source)
        hidden = try reader.int(["hidden_size", "hidden_dim", "embed_dim"])
        self.heads = try reader.heads(hidden: hidden, override: heads)
        layers = try reader.int(["num_hidden_layers", "num_layers", "depth"])
        intermediate = try reader.int(["intermediate_size", "mlp_dim"])
        imageSize = try reader.int(["image_size", "img_size"])
        patchSize = try reader.int(["patch_size"])
        channels = try reader.int(["num_channels", "in_chans"], fallback: 3)
        layerNormEps = Float(try reader.double("layer_norm_eps", fallback: 1e-12))
        activation = try reader.activation()
        guard imageSize % patchSize == 0 else {
            throw InferenceError.config(source: source, message: "image_size \(imageSize) is not a multiple of patch_size \(patchSize)")
        }
    }
}

/// A BERT encoder's shape and numerics (`BertConfig`).
public struct BERTConfiguration: Sendable, Equatable {
    public var hidden: Int
    public var heads: Int
    public var layers: Int
    public var intermediate: Int
    public var vocab: Int
    public var maxPositions: Int
    public var typeVocab: Int
    public var layerNormEps: Float
    public var activation: HiddenActivation

    /// Reads config.json text. `heads` overrides `num_attention_heads`.
    /// - Throws: `InferenceError.config` naming the missing or invalid key, or
    ///   `.unsupported` for relative position embeddings.
    public init(json: String?, source: String, heads: Int? = nil) throws {
        let reader = try ConfigReader(json: json, source: source)
        hidden = try reader.int(["hidden_size"])
        self.heads = try reader.heads(hidden: hidden, override: heads)
        layers = try reader.int(["num_hidden_layers"])
        intermediate = try reader.int(["intermediate_size"])
        vocab = try reader.int(["vocab_size"])
        maxPositions = try reader.int(["max_position_embeddings"])
        typeVocab = try reader.int(["type_vocab_size"], fallback: 2)
        layerNormEps = Float(try reader.double("layer_norm_eps", fallback: 1e-12))
        activation = try reader.activation()
        if let kind = reader.values["position_embedding_type"] as? String, kind != "absolute" {
            throw InferenceError.unsupported(source: source, message: "position_embedding_type \(kind) is not supported (only absolute)")
        }
    }
}
