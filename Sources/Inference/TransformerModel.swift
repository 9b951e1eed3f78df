import WeightStore

/// A model Transfuse can run, chosen from the canonical tensor names.
public enum TransformerModel: Sendable {
    case vit(ViTModel)
    case bert(BERTModel)

    /// Loads a canonical store as ViT (it has `embeddings.patch_embeddings.projection.weight`)
    /// or BERT (`embeddings.word_embeddings.weight`).
    /// - Throws: `InferenceError` for other stores, missing config keys or tensors, bad shapes.
    public init(store: WeightStore, source: String, heads: Int? = nil) throws {
        if store.contains("embeddings.patch_embeddings.projection.weight") {
            self = .vit(try ViTModel(store: store, source: source, heads: heads))
        } else if store.contains("embeddings.word_embeddings.weight") {
            self = .bert(try BERTModel(store: store, source: source, heads: heads))
        } else {
            throw InferenceError.unsupported(source: source, message: "neither a ViT (embeddings.patch_embeddings.projection.weight) nor a BERT (embeddings.word_embeddings.weight) in the canonical layout")
        }
    }

    /// `vit` or `bert`.
    public var family: String {
        switch self {
        case .vit: return "vit"
        case .bert: return "bert"
        }
    }

    /// Checks that this model can run `dataset` (task, head, image size, vocabulary, labels).
    /// - Throws: `InferenceError.taskMismatch` / `.dataset` naming the model, the file and the shapes.
    public func check(_ dataset: EvalDataset, source: String, needsHead: Bool = true) throws {
        let file = dataset.path
        switch (self, dataset.task) {
        case let (.vit(model), .imageClassification):
            let expected = [model.config.channels, model.config.imageSize, model.config.imageSize]
            guard dataset.imageShape == expected else {
                throw InferenceError.dataset(file: file, dataset: "images", message: "images are \(Shape.describe(dataset.imageShape)) but \(source) expects \(Shape.describe(expected)) ([channels, image_size, image_size])")
            }
            if needsHead {
                guard let labels = model.labels else {
                    throw InferenceError.taskMismatch(model: source, dataset: file, message: "the model has no classifier (classifier.weight)")
                }
                try checkLabels(dataset, below: labels, what: "the classifier's \(labels) labels")
            }
        case let (.bert(model), .maskedLM), let (.bert(model), .sequenceClassification):
            guard let tokens = dataset.tokens else { return }
            if let bad = tokens.inputIDs.first(where: { $0 < 0 || $0 >= model.config.vocab }) {
                throw InferenceError.dataset(file: file, dataset: "input_ids", message: "token id \(bad) is outside the vocabulary of \(source) (vocab_size \(model.config.vocab))")
            }
            if let types = tokens.tokenTypeIDs, let bad = types.first(where: { $0 < 0 || $0 >= model.config.typeVocab }) {
                throw InferenceError.dataset(file: file, dataset: "token_type_ids", message: "token type \(bad) is outside type_vocab_size \(model.config.typeVocab) of \(source)")
            }
            guard tokens.length <= model.config.maxPositions else {
                throw InferenceError.dataset(file: file, dataset: "input_ids", message: "sequences of \(tokens.length) tokens exceed max_position_embeddings \(model.config.maxPositions) of \(source)")
            }
            guard needsHead else { return }
            if dataset.task == .maskedLM {
                guard model.hasMaskedLMHead else {
                    throw InferenceError.taskMismatch(model: source, dataset: file, message: "a masked-LM dataset needs the MLM head (cls.predictions.*), which the model lacks")
                }
                try checkLabels(dataset, below: model.config.vocab, what: "the vocabulary (\(model.config.vocab))", ignore: -100)
            } else {
                guard let labels = model.labels, model.hasPooler else {
                    throw InferenceError.taskMismatch(model: source, dataset: file, message: "a sequence-classification dataset needs pooler.dense and classifier, which the model lacks")
                }
                try checkLabels(dataset, below: labels, what: "the classifier's \(labels) labels")
            }
        case (.vit, _):
            throw InferenceError.taskMismatch(model: source, dataset: file, message: "a ViT cannot run a \(dataset.task.rawValue) dataset (it needs 'images')")
        case (.bert, _):
            throw InferenceError.taskMismatch(model: source, dataset: file, message: "a BERT cannot run an \(dataset.task.rawValue) dataset (it needs 'input_ids')")
        }
    }

    private func checkLabels(_ dataset: EvalDataset, below limit: Int, what: String, ignore: Int? = nil) throws {
        if let bad = dataset.labels.first(where: { ($0 < 0 || $0 >= limit) && $0 != ignore }) {
            throw InferenceError.dataset(file: dataset.path, dataset: "labels", message: "label \(bad) is outside \(what)" + (ignore.map { " (\($0) marks unscored tokens)" } ?? ""))
        }
    }
}
