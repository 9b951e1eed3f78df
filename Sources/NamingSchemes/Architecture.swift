/// The architecture of a ViT or BERT checkpoint, as found from its tensor shapes, its config
/// and `--heads`. Shapes decide every size they show; the config supplies what shapes cannot
/// (the head count, LayerNorm epsilon, activation) and must agree with the shapes.
public struct Architecture: Sendable, Equatable, Codable {
    public enum Family: String, Sendable, Codable { case vit, bert }

    /// The task head on top of the encoder.
    public enum Head: String, Sendable, Codable {
        /// Encoder only (with or without pooler).
        case none
        /// ViT `classifier` on the class token.
        case imageClassification = "image-classification"
        /// BERT `classifier` on the pooled output.
        case sequenceClassification = "sequence-classification"
        /// BERT masked-LM head (decoder tied to the word embeddings).
        case maskedLM = "masked-lm"
        /// BERT masked-LM plus next-sentence heads (BertForPreTraining).
        case preTraining = "pre-training"
    }

    /// Whether the MLM decoder weight, tied to the word embeddings, is stored.
    public enum TiedDecoder: String, Sendable, Codable {
        /// No MLM head.
        case none
        /// Not stored (the usual save): the word embeddings serve as the decoder.
        case omitted
        /// Stored and byte-identical to the word embeddings.
        case storedTied = "stored-tied"
        /// Stored with different values: the checkpoint is not actually tied.
        case storedUntied = "stored-untied"
    }

    public let family: Family
    public let layers: Int
    public let hidden: Int
    /// Nil when neither the config, the shapes nor `--heads` tell it (see `requireHeads()`).
    public let heads: Int?
    public let headDim: Int?
    public let intermediate: Int
    /// BERT: vocabulary, positions and token types.
    public let vocab: Int?
    public let positions: Int?
    public let typeVocab: Int?
    /// ViT: patch size, input channels, image side (square images) and tokens incl. the class token.
    public let patch: Int?
    public let channels: Int?
    public let imageSize: Int?
    public let imagePositions: Int?
    /// Classifier outputs, when there is a classifier.
    public let labels: Int?
    public let layerNormEps: Double
    /// Hugging Face spelling (`gelu`, `gelu_new`, `relu`…).
    public let activation: String
    public let hasPooler: Bool
    public let head: Head
    public let tiedDecoder: TiedDecoder
    /// Every dimension symbol's value (`hidden`, `heads`, `image_positions`…).
    public let symbols: [String: Int]

    /// The head count, or `NamingSchemeError.missingHeads`.
    public func requireHeads() throws -> Int {
        guard let heads else {
            throw NamingSchemeError.missingHeads(reason: "the config has no num_attention_heads and the tensor shapes do not split heads")
        }
        return heads
    }
}
