// Times Transfuse's ViT and BERT forward passes on random weights (Benchmarks/inference/run.sh).
//
//   InferenceBench vit|bert [--batch N] [--seq L] [--runs R] [--layers K]
//
// Prints one JSON object: {"model", "batch", "tokens", "runs": [seconds…], "median", "samples_per_second"}.
// ViT: ViT-B/16 at 224² (hidden 768, 12 heads, 12 layers, MLP 3072, 1000 labels), logits.
// BERT: BERT-base (hidden 768, 12 heads, 12 layers, MLP 3072, vocab 30522), last hidden state.
import Foundation
import Inference
import Transport
import WeightStore

BLASKernelChoice.restartIfFallbackKernels()

struct Arguments {
    var model = "bert"
    var batch = 32
    var seq = 128
    var runs = 3
    var layers = 12

    init() {
        var args = CommandLine.arguments.dropFirst()
        if let first = args.first, !first.hasPrefix("--") { model = first; args = args.dropFirst() }
        var it = args.makeIterator()
        while let flag = it.next() {
            guard let value = it.next().flatMap(Int.init) else { fail("\(flag) needs an integer") }
            switch flag {
            case "--batch": batch = value
            case "--seq": seq = value
            case "--runs": runs = value
            case "--layers": layers = value
            default: fail("unknown option \(flag)")
            }
        }
    }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("InferenceBench: \(message)\n".utf8))
    exit(2)
}

/// Deterministic pseudo-random values in [-scale, scale] (xorshift).
struct Noise {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    mutating func values(_ count: Int, scale: Float) -> [Float] {
        (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
        }
    }
}

func tensor(_ name: String, _ shape: [Int], _ noise: inout Noise, scale: Float = 0.02, offset: Float = 0) throws -> Tensor {
    let values = noise.values(shape.reduce(1, *), scale: scale).map { $0 + offset }
    return try Tensor.fromFloats(name: name, shape: shape, values: values)
}

func encoderTensors(_ names: [String: String], layers: Int, hidden: Int, mlp: Int, noise: inout Noise) throws -> [Tensor] {
    var out: [Tensor] = []
    for i in 0..<layers {
        func n(_ key: String) -> String { names[key]!.replacingOccurrences(of: "{i}", with: String(i)) }
        for key in ["q", "k", "v", "o"] {
            out.append(try tensor(n(key) + ".weight", [hidden, hidden], &noise))
            out.append(try tensor(n(key) + ".bias", [hidden], &noise))
        }
        out.append(try tensor(n("fc1") + ".weight", [mlp, hidden], &noise))
        out.append(try tensor(n("fc1") + ".bias", [mlp], &noise))
        out.append(try tensor(n("fc2") + ".weight", [hidden, mlp], &noise))
        out.append(try tensor(n("fc2") + ".bias", [hidden], &noise))
        for key in ["ln1", "ln2"] {
            out.append(try tensor(n(key) + ".weight", [hidden], &noise, scale: 0.1, offset: 1))
            out.append(try tensor(n(key) + ".bias", [hidden], &noise))
        }
    }
    return out
}

let args = Arguments()
var noise = Noise()
let hidden = 768, mlp = 3072
var timings: [Double] = []
var tokens = args.seq
do {
    switch args.model {
    case "vit":
        let image = 224, patch = 16, grid = image / patch
        tokens = grid * grid + 1
        var tensors = [try tensor("embeddings.cls_token", [1, 1, hidden], &noise),
                       try tensor("embeddings.position_embeddings", [1, tokens, hidden], &noise),
                       try tensor("embeddings.patch_embeddings.projection.weight", [hidden, 3, patch, patch], &noise),
                       try tensor("embeddings.patch_embeddings.projection.bias", [hidden], &noise)]
        tensors += try encoderTensors([
            "q": "encoder.layer.{i}.attention.attention.query", "k": "encoder.layer.{i}.attention.attention.key",
            "v": "encoder.layer.{i}.attention.attention.value", "o": "encoder.layer.{i}.attention.output.dense",
            "fc1": "encoder.layer.{i}.intermediate.dense", "fc2": "encoder.layer.{i}.output.dense",
            "ln1": "encoder.layer.{i}.layernorm_before", "ln2": "encoder.layer.{i}.layernorm_after"],
            layers: args.layers, hidden: hidden, mlp: mlp, noise: &noise)
        tensors += [try tensor("layernorm.weight", [hidden], &noise, scale: 0.1, offset: 1), try tensor("layernorm.bias", [hidden], &noise),
                    try tensor("classifier.weight", [1000, hidden], &noise), try tensor("classifier.bias", [1000], &noise)]
        let config = #"{"hidden_size": 768, "num_attention_heads": 12, "num_hidden_layers": \#(args.layers), "intermediate_size": 3072, "image_size": 224, "patch_size": 16, "num_channels": 3, "hidden_act": "gelu", "layer_norm_eps": 1e-12}"#
        let model = try ViTModel(store: try WeightStore(tensors: tensors, configJSON: config), source: "random ViT-B/16")
        let images = noise.values(args.batch * model.imageElements, scale: 1)
        _ = try model.logits(images: Array(images.prefix(min(2, args.batch) * model.imageElements)), count: min(2, args.batch))  // warm-up
        for _ in 0..<args.runs {
            let start = Date()
            _ = try model.logits(images: images, count: args.batch)
            timings.append(Date().timeIntervalSince(start))
        }
    case "bert":
        let vocab = 30522
        var tensors = [try tensor("embeddings.word_embeddings.weight", [vocab, hidden], &noise),
                       try tensor("embeddings.position_embeddings.weight", [512, hidden], &noise),
                       try tensor("embeddings.token_type_embeddings.weight", [2, hidden], &noise),
                       try tensor("embeddings.LayerNorm.weight", [hidden], &noise, scale: 0.1, offset: 1),
                       try tensor("embeddings.LayerNorm.bias", [hidden], &noise)]
        tensors += try encoderTensors([
            "q": "encoder.layer.{i}.attention.self.query", "k": "encoder.layer.{i}.attention.self.key",
            "v": "encoder.layer.{i}.attention.self.value", "o": "encoder.layer.{i}.attention.output.dense",
            "fc1": "encoder.layer.{i}.intermediate.dense", "fc2": "encoder.layer.{i}.output.dense",
            "ln1": "encoder.layer.{i}.attention.output.LayerNorm", "ln2": "encoder.layer.{i}.output.LayerNorm"],
            layers: args.layers, hidden: hidden, mlp: mlp, noise: &noise)
        let config = #"{"hidden_size": 768, "num_attention_heads": 12, "num_hidden_layers": \#(args.layers), "intermediate_size": 3072, "vocab_size": 30522, "max_position_embeddings": 512, "type_vocab_size": 2, "hidden_act": "gelu", "layer_norm_eps": 1e-12}"#
        let model = try BERTModel(store: try WeightStore(tensors: tensors, configJSON: config), source: "random BERT-base")
        let ids = (0..<(args.batch * args.seq)).map { ($0 * 7919) % vocab }
        let batch = try TokenBatch(inputIDs: ids, attentionMask: [Int](repeating: 1, count: ids.count), count: args.batch, length: args.seq)
        _ = try model.lastHiddenState(batch)  // warm-up
        for _ in 0..<args.runs {
            let start = Date()
            _ = try model.lastHiddenState(batch)
            timings.append(Date().timeIntervalSince(start))
        }
    default:
        fail("model must be vit or bert")
    }
} catch {
    fail("\(error)")
}
let median = timings.sorted()[timings.count / 2]
let report: [String: Any] = ["model": args.model, "batch": args.batch, "tokens": tokens, "layers": args.layers,
                             "runs": timings, "median": median, "samples_per_second": Double(args.batch) / median]
let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
print(String(decoding: data, as: UTF8.self))
