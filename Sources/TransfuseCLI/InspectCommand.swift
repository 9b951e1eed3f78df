import ArgumentParser
import Checkpoints
import Foundation
import WeightStore

/// `transfuse inspect`: what a checkpoint holds, from its headers alone.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List the tensors, totals, metadata and config of a checkpoint.",
        discussion: """
            Reads headers only (safetensors data stays memory-mapped and untouched), so large \
            files inspect in milliseconds.

            Examples:
              transfuse inspect model.safetensors
              transfuse inspect ./bert-base-uncased --filter 'encoder.layer.0.*'
              transfuse inspect model.h5 --json | jq .parameters
            """
    )

    @Argument(help: "A checkpoint: .safetensors, *.safetensors.index.json, a Hugging Face folder, .h5/.hdf5 or .npz.")
    var path: String

    @Flag(help: "Print one JSON object (keys: tensors, parameters, bytes, dtypes, metadata, config, format, path).")
    var json = false

    @Option(help: "List only tensors whose names match this shell glob, e.g. 'encoder.layer.*.attention.*'. Totals still cover every tensor.")
    var filter: String?

    func run() throws {
        let format = try CheckpointFormat.detect(path: path)
        let store = try Checkpoint.read(path)
        let pattern = filter
        let summary = CheckpointSummary(store: store, path: path, format: format) { name in
            pattern.map { Glob.matches($0, name) } ?? true
        }
        let report = InspectReport(summary: summary, config: store.configJSON.flatMap(JSONValue.init(text:)))
        if json {
            try JSONOutput.print(report)
        } else {
            print(InspectTable.render(report, filtered: pattern != nil, total: store.count))
        }
    }
}

/// The JSON shape of `inspect --json`; absent values are written as `null`, never left out.
struct InspectReport: Encodable {
    let summary: CheckpointSummary
    let config: JSONValue?
    /// The naming scheme detected (nil until detection applies).
    var scheme: String? = nil
    /// The architecture summary (nil until detection applies).
    var architecture: JSONValue? = nil

    enum Keys: String, CodingKey {
        case path, format, tensors, parameters, bytes, dtypes, metadata, config, scheme, architecture
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(summary.path, forKey: .path)
        try container.encode(summary.format, forKey: .format)
        try container.encode(summary.tensors, forKey: .tensors)
        try container.encode(summary.parameters, forKey: .parameters)
        try container.encode(summary.bytes, forKey: .bytes)
        try container.encode(summary.dtypes, forKey: .dtypes)
        try container.encode(summary.metadata, forKey: .metadata)
        try container.encode(config ?? .null, forKey: .config)
        try container.encode(scheme, forKey: .scheme)
        try container.encode(architecture ?? .null, forKey: .architecture)
    }
}

/// Shell-style glob matching (`*`, `?`, `[...]`) of tensor names.
enum Glob {
    static func matches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }
}
