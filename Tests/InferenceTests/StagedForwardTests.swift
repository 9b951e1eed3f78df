import Foundation
import Testing
@testable import Inference

/// `StagedForward` (layer by layer, as REPAIR and the refit run models) records what the full
/// pass of `ActivationCapture` records, and `only:` keeps exactly the named matrices.
@Suite("Staged forward pass")
struct StagedForwardTests {
    /// Every module of the full pass (raw, every token, with linear inputs), by name.
    static func fullPass(_ model: TransformerModel, _ data: EvalDataset, samples: Int) throws -> [String: ActivationMatrix] {
        var all: [String: ActivationMatrix] = [:]
        try ActivationCapture.capture(model: model, dataset: data, source: "full",
                                      options: ActivationOptions(numSamples: samples, normalization: .none, linearInputs: true)) {
            all[$0.name] = $0
        }
        return all
    }

    @Test("layer by layer equals the full pass; only: keeps the named matrices and still advances", arguments: [
        ("vit", "vit_data.h5"), ("bert_mlm", "bert_mlm_data.h5"),
    ])
    func stagedEqualsFull(model name: String, data file: String) throws {
        let model = try TransformerModel(store: try Fixtures.store(name), source: name)
        let data = try EvalDataset.read(Fixtures.path(file))
        let samples = min(data.count, 6)
        let full = try Self.fullPass(model, data, samples: samples)
        func same(_ m: ActivationMatrix, _ context: String) {
            guard let f = full[m.name] else { Issue.record("\(context): \(m.name) is not in the full pass"); return }
            #expect(m.rows == f.rows && m.width == f.width, "\(context): \(m.name)")
            let worst = zip(m.values, f.values).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 1e-5, "\(context): \(m.name) differs by \(worst)")
        }

        var every = try StagedForward(model: model, dataset: data, numSamples: samples, source: name)
        var filtered = try StagedForward(model: model, dataset: data, numSamples: samples, source: name)
        same(every.stream, "embeddings")
        let layers: Int
        switch model {
        case let .vit(vit): layers = vit.layers.count
        case let .bert(bert): layers = bert.layers.count
        }
        for l in 0..<layers {
            let recorded = try every.layer(of: model, linearInputs: true, advance: true)
            for m in recorded { same(m, "layer \(l)") }
            #expect(recorded.contains { $0.name == "encoder.layer.\(l).intermediate.dense" + ActivationCapture.inputSuffix })

            let wanted: Set<String> = ["encoder.layer.\(l).output.dense", "encoder.layer.\(l).intermediate.dense" + ActivationCapture.inputSuffix]
            let kept = try filtered.layer(of: model, linearInputs: true, advance: true, only: wanted)
            // The named matrices, plus the layer output that advancing needs; nothing else.
            #expect(Set(kept.map(\.name)) == wanted.union(["encoder.layer.\(l)"]), "\(kept.map(\.name))")
            for m in kept { same(m, "layer \(l), only") }
            #expect(filtered.layersDone == l + 1 && filtered.stream.values == every.stream.values)
        }
        if case .vit = model {
            let head = try filtered.classifier(of: model, linearInputs: true, only: ["classifier" + ActivationCapture.inputSuffix])
            #expect(head.map(\.name) == ["classifier" + ActivationCapture.inputSuffix])
            for m in head { same(m, "classifier") }
        }
    }
}
