import Foundation
import WeightStore

/// Sharded safetensors checkpoints: `model-00001-of-00003.safetensors`, … plus
/// `model.safetensors.index.json` = `{"metadata": {"total_size": <tensor bytes>},
/// "weight_map": {"<tensor>": "<shard file>"}}`, as Hugging Face writes them.
public enum ShardedSafeTensors {
    /// The index file name for `baseName`: `model` → `model.safetensors.index.json`.
    public static func indexFileName(baseName: String = "model") -> String {
        "\(baseName).safetensors.index.json"
    }

    /// The shard file name Hugging Face uses: 5-digit, 1-based, e.g. `model-00001-of-00003.safetensors`.
    public static func shardFileName(baseName: String = "model", index: Int, count: Int) -> String {
        func fiveDigits(_ n: Int) -> String {
            let digits = String(n)
            return String(repeating: "0", count: max(0, 5 - digits.count)) + digits
        }
        return "\(baseName)-\(fiveDigits(index + 1))-of-\(fiveDigits(count)).safetensors"
    }
}
