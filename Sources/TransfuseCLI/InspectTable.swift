import Checkpoints
import WeightStore

/// The human-readable rendering of `inspect`.
enum InspectTable {
    static func render(_ report: InspectReport, filtered: Bool, total: Int) -> String {
        let summary = report.summary
        var lines: [String] = []
        let rows = summary.tensors.map { [$0.name, $0.dtype, Shape.describe($0.shape), ByteSize.format($0.bytes)] }
        lines += TextTable.render(header: ["tensor", "dtype", "shape", "bytes"], rows: rows, rightAligned: [3])
        lines.append("")
        if filtered { lines.append("shown: \(summary.tensors.count) of \(total) tensors") }
        let dtypes = summary.dtypes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("format: \(summary.format)")
        lines.append("tensors: \(total)   parameters: \(grouped(summary.parameters))   bytes: \(grouped(summary.bytes)) (\(ByteSize.format(summary.bytes)))")
        if !dtypes.isEmpty { lines.append("parameters by dtype: \(dtypes)") }
        if !summary.metadata.isEmpty {
            let pairs = summary.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            lines.append("metadata: " + pairs.joined(separator: ", "))
        }
        if let text = report.architectureText {
            lines.append(text)
        } else if let note = report.schemeNote {
            lines.append("scheme: none detected (\(note))")
        }
        if case let .object(config)? = report.config {
            let keys = ["model_type", "architectures", "hidden_size", "num_hidden_layers", "num_attention_heads",
                        "intermediate_size", "vocab_size", "image_size", "patch_size"]
            let shown = keys.compactMap { key in config[key].map { "\(key)=\(compact($0))" } }
            lines.append("config: " + (shown.isEmpty ? "\(config.count) keys" : shown.joined(separator: ", ")))
        } else {
            lines.append("config: none (no config.json beside the file and none stored in it)")
        }
        return lines.joined(separator: "\n")
    }

    /// 22713728 → "22,713,728".
    static func grouped(_ value: Int) -> String {
        let digits = String(value)
        var out = ""
        for (index, char) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(char)
        }
        return out
    }

    private static func compact(_ value: JSONValue) -> String {
        switch value {
        case let .string(text): return text
        case let .integer(number): return String(number)
        case let .number(number): return String(number)
        case let .bool(flag): return String(flag)
        case let .array(items): return "[" + items.map(compact).joined(separator: ",") + "]"
        case .object: return "{…}"
        case .null: return "null"
        }
    }
}
