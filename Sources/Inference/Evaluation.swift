import Foundation

/// Accuracy and mean cross-entropy of a model on a dataset.
public struct Evaluation: Sendable, Equatable, Codable {
    public let task: DatasetTask
    /// Samples run through the model.
    public let samples: Int
    /// Predictions scored: samples, or labelled tokens for masked LM.
    public let scored: Int
    /// Fraction of scored predictions whose arg-max equals the label.
    public let accuracy: Double
    /// Mean cross-entropy (natural log) over the scored predictions.
    public let loss: Double
    /// `exp(loss)` for masked LM, nil otherwise.
    public var perplexity: Double? { task == .maskedLM ? Foundation.exp(loss) : nil }
}

extension TransformerModel {
    /// Runs the model over `dataset` in batches of `batchSize` and scores it.
    ///
    /// The loss is averaged over every scored prediction as transformers' losses do (masked LM:
    /// over all tokens whose label is not -100, across the whole dataset). Arg-max ties go to
    /// the first index, as `torch.argmax`.
    /// - Parameter progress: called with (samples done, total) after each batch.
    /// - Throws: `InferenceError` when the model cannot run the dataset.
    public func evaluate(_ dataset: EvalDataset, source: String, batchSize: Int = 32,
                         progress: ((Int, Int) -> Void)? = nil) throws -> Evaluation {
        try check(dataset, source: source)
        var lossSum = 0.0, correct = 0, scored = 0
        let step = max(1, batchSize)
        var start = 0
        while start < dataset.count {
            let range = start..<min(dataset.count, start + step)
            let batch = dataset.slice(range)
            let (logits, width, targets) = try scores(batch)
            for (row, label) in targets.enumerated() {
                let (loss, argmax) = Self.crossEntropy(logits, row: row, width: width, label: label)
                lossSum += loss
                if argmax == label { correct += 1 }
            }
            scored += targets.count
            start = range.upperBound
            progress?(start, dataset.count)
        }
        return Evaluation(task: dataset.task, samples: dataset.count, scored: scored,
                          accuracy: scored == 0 ? 0 : Double(correct) / Double(scored),
                          loss: scored == 0 ? 0 : lossSum / Double(scored))
    }

    /// Logits of the scored rows of a batch, their width and their labels.
    private func scores(_ batch: EvalDataset) throws -> (logits: [Float], width: Int, labels: [Int]) {
        switch self {
        case let .vit(model):
            return (try model.logits(images: batch.images, count: batch.count), model.labels ?? 0, batch.labels)
        case let .bert(model):
            guard let tokens = batch.tokens else { throw InferenceError.input(message: "a BERT needs token inputs") }
            if batch.task == .maskedLM {
                let rows = batch.labels.indices.filter { batch.labels[$0] != -100 }
                let logits = try model.maskedLMLogits(tokens, rows: rows)
                return (logits, model.config.vocab, rows.map { batch.labels[$0] })
            }
            return (try model.classificationLogits(tokens), model.labels ?? 0, batch.labels)
        }
    }

    /// `logsumexp(z) − z[label]` in double precision and the first arg-max of row `row`.
    static func crossEntropy(_ logits: [Float], row: Int, width: Int, label: Int) -> (Double, Int) {
        let base = row * width
        var top = -Double.infinity, argmax = 0
        for j in 0..<width where Double(logits[base + j]) > top { top = Double(logits[base + j]); argmax = j }
        var sum = 0.0
        for j in 0..<width { sum += Foundation.exp(Double(logits[base + j]) - top) }
        return (top + Foundation.log(sum) - Double(logits[base + label]), argmax)
    }
}
