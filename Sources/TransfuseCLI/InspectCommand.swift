import ArgumentParser
import Checkpoints
import Foundation
import NamingSchemes
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

    @Flag(help: "Also print the canonical layout tree (ViT and BERT checkpoints).")
    var layout = false

    @OptionGroup var schemeOptions: SchemeOptions

    func run() throws {
        let format = try CheckpointFormat.detect(path: path)
        let store = try Checkpoint.read(path)
        let pattern = filter
        let summary = CheckpointSummary(store: store, path: path, format: format) { name in
            pattern.map { Glob.matches($0, name) } ?? true
        }
        var report = InspectReport(summary: summary, config: store.configJSON.flatMap(JSONValue.init(text:)))
        var tree: String?
        let registry = try schemeOptions.registry()
        do {
            let model = try SchemeConverter.toCanonical(store, heads: schemeOptions.heads, registry: registry)
            let architecture = try ModelInspector.summary(model, registry: registry)
            report.scheme = model.detected.scheme
            report.schemeSummary = model.detected.summary
            report.architecture = try JSONValue(encoding: architecture)
            report.architectureText = architecture.text
            if layout { tree = try ModelInspector.layoutTree(model, registry: registry) }
        } catch {
            // Not every checkpoint is a ViT or BERT: say why, and fail only if the layout was asked for.
            if layout { throw error }
            report.schemeNote = "\(error)"
        }
        if json {
            try JSONOutput.print(report)
        } else {
            print(InspectTable.render(report, filtered: pattern != nil, total: store.count))
            if let tree { print("\ncanonical layout:\n" + tree) }
        }
    }
}

/// The JSON shape of `inspect --json`; absent values are written as `null`, never left out.
struct InspectReport: Encodable {
    let summary: CheckpointSummary
    let config: JSONValue?
    /// The naming scheme detected; nil when the checkpoint is not a ViT or BERT Transfuse knows.
    var scheme: String? = nil
    /// The scheme with its variant, e.g. `hf-bert (prefix 'bert.')`.
    var schemeSummary: String? = nil
    /// Family, layers, hidden, heads, intermediate, … and parameters per component.
    var architecture: JSONValue? = nil
    /// The architecture as aligned text lines, for the table.
    var architectureText: String? = nil
    /// Why no scheme was detected.
    var schemeNote: String? = nil

    enum Keys: String, CodingKey {
        case path, format, tensors, parameters, bytes, dtypes, metadata, config, scheme, architecture, schemeNote
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
        try container.encode(schemeNote, forKey: .schemeNote)
    }
}

/// Shell-style glob matching (`*`, `?`, `[...]`) of tensor names.
enum Glob {
    static func matches(_ pattern: String, _ name: String) -> Bool {
        fnmatch(pattern, name, 0) == 0
    }
}
