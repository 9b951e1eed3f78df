import Foundation

/// Paths of the bundled samples (Samples/, see Samples/README.md) and the metrics transformers
/// measured for them when they were made (Samples/METRICS.json).
enum SampleModels {
    /// The repository root, found from this source file's location.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func path(_ relative: String) -> String { root.appendingPathComponent("Samples/" + relative).path }

    /// `METRICS.json[model][metric]`.
    static func metric(_ model: String, _ metric: String) throws -> Double? {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("METRICS.json")))
        let all = try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]]
        return all?[model]?[metric] as? Double
    }
}
