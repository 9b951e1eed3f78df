import ArgumentParser
import Foundation
import Inference
import NamingSchemes

/// `transfuse eval`: accuracy and loss of models on a dataset.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure the accuracy and loss (perplexity for masked LM) of models on a dataset.",
        discussion: """
            The task comes from the dataset's keys (and its optional `task` attribute): images + \
            labels [N] (image classification, ViT), input_ids + labels [N, L] with -100 for \
            unscored tokens (masked LM, BERT with its MLM head), input_ids + attention_mask + \
            labels [N] (sequence classification, BERT with pooler and classifier). The loss is \
            the mean cross-entropy over scored predictions (tokens for masked LM). Models may be \
            in any format and naming scheme. Progress goes to standard error.

            Examples:
              transfuse eval a.safetensors b.safetensors fused.safetensors --data digits-test.h5
              transfuse eval bert/ --data wiki.h5 --limit 500 --json
            """
    )

    @Argument(help: "One or more models (any format and naming scheme).")
    var models: [String]

    @Option(help: "The dataset (HDF5).")
    var data: String

    @Option(help: "Samples per forward batch.")
    var batch: Int = 32

    @Option(help: "Evaluate only the first N samples.")
    var limit: Int?

    @OptionGroup var schemeOptions: SchemeOptions

    @Flag(help: "Print one JSON object: dataset, task, models [{path, accuracy, loss, perplexity (masked LM), samples}].")
    var json = false

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("give at least one model") }
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        if let limit, limit <= 0 { throw ValidationError("--limit must be positive") }
    }

    func run() throws {
        let registry = try schemeOptions.registry()
        let dataset = try EvalDataset.read(data, limit: limit)
        var results: [EvalReport.Model] = []
        for path in models {
            let runner = try InferenceModels.load(path, heads: schemeOptions.heads, registry: registry)
            let started = Date()
            let progress = SampleProgress(label: path)
            let result = try runner.evaluate(dataset, source: path, batchSize: batch) { progress.update($0, $1) }
            progress.finish(seconds: Date().timeIntervalSince(started))
            results.append(EvalReport.Model(path: path, evaluation: result))
        }
        let report = EvalReport(dataset: data, task: dataset.task.rawValue, models: results)
        if json {
            try JSONOutput.print(report)
        } else {
            print(report.table())
        }
    }
}

/// `eval`'s result, as printed by `--json`.
struct EvalReport: Encodable {
    struct Model: Encodable {
        let path: String
        let accuracy: Double
        let loss: Double
        /// Masked LM only (omitted from the JSON otherwise).
        let perplexity: Double?
        let samples: Int
        /// `parent`, `vanilla` or `fused` in `fuse --eval`'s report (omitted by `eval`).
        var role: String? = nil

        init(path: String, evaluation: Evaluation, role: String? = nil) {
            self.path = path
            accuracy = evaluation.accuracy
            loss = evaluation.loss
            perplexity = evaluation.perplexity
            samples = evaluation.samples
            self.role = role
        }
    }
    let dataset: String
    let task: String
    let models: [Model]

    /// An aligned text table, one row per model in the order given.
    func table() -> String {
        let mlm = models.contains { $0.perplexity != nil }
        let roles = models.contains { $0.role != nil }
        var header = ["model"] + (roles ? ["role"] : []) + ["samples", "accuracy", "loss"]
        if mlm { header.append("perplexity") }
        let rows = models.map { m in
            var row = [m.path] + (roles ? [m.role ?? ""] : [])
            row += [String(m.samples), String(format: "%.4f", m.accuracy), String(format: "%.4f", m.loss)]
            if mlm { row.append(m.perplexity.map { String(format: "%.3f", $0) } ?? "") }
            return row
        }
        let firstNumber = roles ? 2 : 1
        let lines = TextTable.render(header: header, rows: rows, rightAligned: Set(firstNumber..<header.count))
        return (["\(dataset) (\(task))"] + lines).joined(separator: "\n")
    }
}

/// A samples-done progress line on standard error (redrawn on a terminal, every 25% otherwise).
final class SampleProgress: @unchecked Sendable {
    private let label: String
    private var lastQuarter = -1

    init(label: String) { self.label = label }

    func update(_ done: Int, _ total: Int) {
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        if StandardError.isTerminal {
            let width = 30, filled = Int(fraction * Double(width))
            StandardError.write("\r\(label) " + String(repeating: "█", count: filled)
                                + String(repeating: "░", count: width - filled) + " \(done)/\(total)")
        } else if Int(fraction * 4) > lastQuarter {
            lastQuarter = Int(fraction * 4)
            StandardError.line("\(label): \(done)/\(total) samples")
        }
    }

    func finish(seconds: Double) {
        if StandardError.isTerminal { StandardError.write("\n") }
        StandardError.line(String(format: "%@: done in %.1f s", label, seconds))
    }
}
