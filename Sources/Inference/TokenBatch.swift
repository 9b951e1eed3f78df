/// Token inputs of a BERT forward pass: `count` sequences of `length` tokens, row-major.
public struct TokenBatch: Sendable, Equatable {
    /// `[count, length]` vocabulary indices.
    public var inputIDs: [Int]
    /// `[count, length]`: 1 for real tokens, 0 for padding; nil means all ones.
    public var attentionMask: [Int]?
    /// `[count, length]` segment indices; nil means all zeros.
    public var tokenTypeIDs: [Int]?
    public let count: Int
    public let length: Int

    /// - Throws: `InferenceError.input` when an array does not hold `count × length` values.
    public init(inputIDs: [Int], attentionMask: [Int]? = nil, tokenTypeIDs: [Int]? = nil, count: Int, length: Int) throws {
        let expected = count * length
        for (name, values) in [("input_ids", inputIDs), ("attention_mask", attentionMask), ("token_type_ids", tokenTypeIDs)] {
            if let values, values.count != expected {
                throw InferenceError.input(message: "TokenBatch: \(name) has \(values.count) values, expected \(count)×\(length)")
            }
        }
        self.inputIDs = inputIDs
        self.attentionMask = attentionMask
        self.tokenTypeIDs = tokenTypeIDs
        self.count = count
        self.length = length
    }

    /// The mask value of token `t` of sequence `n` (1 when there is no mask).
    func mask(_ n: Int, _ t: Int) -> Int { attentionMask?[n * length + t] ?? 1 }

    /// Sequences `range` as a batch of their own.
    func slice(_ range: Range<Int>) -> TokenBatch {
        let span = (range.lowerBound * length)..<(range.upperBound * length)
        // Arrays of the right size by construction.
        return TokenBatch(unchecked: Array(inputIDs[span]), attentionMask.map { Array($0[span]) },
                          tokenTypeIDs.map { Array($0[span]) }, count: range.count, length: length)
    }

    private init(unchecked ids: [Int], _ mask: [Int]?, _ types: [Int]?, count: Int, length: Int) {
        inputIDs = ids; attentionMask = mask; tokenTypeIDs = types; self.count = count; self.length = length
    }
}
