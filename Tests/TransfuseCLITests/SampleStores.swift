import Foundation
import WeightStore

/// Small stores with every common dtype, for command tests.
enum SampleStores {
    /// Four tensors: F32 matrix, F16 vector, I64 buffer, BF16 scalar; metadata and a config.
    static func mixed() throws -> WeightStore {
        let weights = (0..<12).map { Float($0) * 0.25 - 1 }
        return try WeightStore(tensors: [
            Tensor.fromFloats(name: "encoder.layer.0.dense.weight", shape: [3, 4], values: weights),
            Tensor.fromFloats(name: "encoder.layer.0.dense.bias", shape: [3], values: [0.5, -0.5, 1], dtype: .f16),
            Tensor(name: "embeddings.position_ids", dtype: .i64, shape: [1, 4],
                   bytes: [Int64(0), 1, 2, 3].withUnsafeBytes { Data($0) }),
            Tensor.fromFloats(name: "scale", shape: [], values: [2], dtype: .bf16),
        ], metadata: ["format": "pt", "origin": "transfuse-tests"],
           configJSON: #"{"model_type": "bert", "hidden_size": 4}"#)
    }
}
