import TestSupport
import Foundation
@testable import Fusion
import NamingSchemes
import WeightStore

/// A function-preserving permuted copy of a canonical ViT or BERT (ALGORITHM.md section 8):
/// one permutation of the hidden (residual) channels everywhere, one head permutation shared by
/// Q/K and V/O, channels within heads permuted with Q and K together (V/O by their own), the
/// MLP channels per layer, the pooler's outputs; a tied MLM head's transform output follows
/// the embeddings. `new[i] = old[perm[i]]` on every permuted axis.
struct PermutedCopy {
    let hidden: [Int]
    var generator: SplitMix64

    static func permutation(_ n: Int, _ g: inout SplitMix64) -> [Int] { Array(0..<n).shuffled(using: &g) }

    /// Head permutation `heads`, within-head permutation `within` (per head) → channel permutation.
    static func headPermutation(_ heads: [Int], _ within: [[Int]], headDim: Int) -> [Int] {
        heads.indices.flatMap { h in within[h].map { heads[h] * headDim + $0 } }
    }

    static func make(_ model: CanonicalModel, seed: UInt64) throws -> WeightStore {
        var g = SplitMix64(seed: seed)
        let a = model.architecture
        let hidden = permutation(a.hidden, &g)
        let heads = try a.requireHeads(), d = a.hidden / heads
        var tensors: [Tensor] = []
        var rowPerm: [String: [Int]] = [:], colPerm: [String: [Int]] = [:]
        let headPerm = permutation(heads, &g)
        for i in 0..<a.layers {
            let qk = headPermutation(headPerm, (0..<heads).map { _ in permutation(d, &g) }, headDim: d)
            let v = headPermutation(headPerm, (0..<heads).map { _ in permutation(d, &g) }, headDim: d)
            let mlp = permutation(a.intermediate, &g)
            let p = "encoder.layer.\(i)."
            let att = a.family == .vit ? "attention.attention." : "attention.self."
            for n in ["query", "key"] { rowPerm[p + att + n] = qk; colPerm[p + att + n] = hidden }
            rowPerm[p + att + "value"] = v; colPerm[p + att + "value"] = hidden
            rowPerm[p + "attention.output.dense"] = hidden; colPerm[p + "attention.output.dense"] = v
            rowPerm[p + "intermediate.dense"] = mlp; colPerm[p + "intermediate.dense"] = hidden
            rowPerm[p + "output.dense"] = hidden; colPerm[p + "output.dense"] = mlp
        }
        let pooler = permutation(a.hidden, &g)
        let poolerFeedsHead = model.store.contains("classifier.weight") && a.family == .bert || model.store.contains("cls.seq_relationship.weight")
        rowPerm["pooler.dense"] = poolerFeedsHead ? pooler : nil
        colPerm["pooler.dense"] = hidden
        colPerm["classifier"] = a.family == .bert && model.store.contains("pooler.dense.weight") ? pooler : hidden
        colPerm["cls.seq_relationship"] = pooler
        rowPerm["cls.predictions.transform.dense"] = hidden; colPerm["cls.predictions.transform.dense"] = hidden

        for t in model.store.tensors {
            guard t.dtype.isFloatingPoint else { tensors.append(t); continue }
            let values = try t.floats()
            var out = values
            let name = t.name
            let module = name.components(separatedBy: ".").dropLast().joined(separator: ".")
            let isWeight = name.hasSuffix(".weight"), isBias = name.hasSuffix(".bias")
            if name.hasSuffix("LayerNorm.weight") || name.hasSuffix("LayerNorm.bias") || name.contains("layernorm") {
                out = hidden.map { values[$0] }
            } else if name == "embeddings.cls_token" || name == "embeddings.position_embeddings"
                        || name.hasPrefix("embeddings.") && name.hasSuffix("_embeddings.weight") || name == "cls.predictions.decoder.weight" {
                let n = a.hidden, rows = values.count / n
                for r in 0..<rows { for c in 0..<n { out[r * n + c] = values[r * n + hidden[c]] } }
            } else if name.hasPrefix("embeddings.patch_embeddings.projection") {
                let cols = values.count / a.hidden
                for r in 0..<a.hidden { for c in 0..<cols { out[r * cols + c] = values[hidden[r] * cols + c] } }
            } else if isWeight || isBias {
                let rows = t.shape[0], cols = isWeight ? values.count / rows : 1
                let rp = rowPerm[module] ?? Array(0..<rows), cp = isWeight ? (colPerm[module] ?? Array(0..<cols)) : [0]
                for r in 0..<rows { for c in 0..<cols { out[r * cols + c] = values[rp[r] * cols + cp[c]] } }
            }
            tensors.append(try Tensor.fromFloats(name: name, shape: t.shape, values: out, dtype: t.dtype))
        }
        return try WeightStore(tensors: tensors, metadata: model.store.metadata, configJSON: model.store.configJSON)
    }
}

/// Largest absolute difference between equally named float tensors of two stores.
func maxDifference(_ a: WeightStore, _ b: WeightStore) throws -> (value: Float, tensor: String) {
    var worst: (Float, String) = (0, "")
    for t in a.tensors where t.dtype.isFloatingPoint {
        guard let u = b[t.name] else { return (.infinity, t.name) }
        let x = try t.floats(), y = try u.floats()
        guard x.count == y.count else { return (.infinity, t.name) }
        for k in x.indices where abs(x[k] - y[k]) > worst.0 { worst = (abs(x[k] - y[k]), t.name) }
    }
    return worst
}
