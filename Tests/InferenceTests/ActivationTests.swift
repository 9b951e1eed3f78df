import Foundation
import Testing
import HDF5Kit
import WeightStore
@testable import Inference

/// Activations equal the reference's, per module, to 1e-4: `reference_activations_*` come from
/// the paper's own `get_activations` (Fixtures/make_reference_activations.py, transformers
/// 4.46.3), `activations_*` from plain torch hooks with the same semantics (make_fixtures.py;
/// BERT, which the reference's capture driver does not run).
@Suite("Activation capture")
struct ActivationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let model: String
        let data: String
        let fixture: String
        var testDescription: String { fixture }
    }

    static let cases = [
        Case(model: "vit", data: "vit_data.h5", fixture: "activations_vit_all_standardize.h5"),
        Case(model: "vit_grid8", data: "vit_grid8_data.h5", fixture: "reference_activations_vit_grid8_all_standardize.h5"),
        Case(model: "vit_grid8", data: "vit_grid8_data.h5", fixture: "reference_activations_vit_grid8_window_2_center.h5"),
        Case(model: "vit_grid8", data: "vit_grid8_data.h5", fixture: "reference_activations_vit_grid8_window_6_standardize.h5"),
        Case(model: "vit_grid8", data: "vit_grid8_data.h5", fixture: "reference_activations_vit_grid8_only_cls_l2.h5"),
        Case(model: "bert_mlm", data: "bert_mlm_data.h5", fixture: "activations_bert_mlm_all_standardize.h5"),
        Case(model: "bert_cls", data: "bert_cls_data.h5", fixture: "activations_bert_cls_all_l2.h5"),
    ]

    @Test("per-module activations equal the hook fixtures", arguments: cases)
    func matchesHooks(_ item: Case) throws {
        let reference = try ActivationFile.readAnyAttributes(Fixtures.path(item.fixture))
        let options = ActivationOptions(numSamples: reference.numSamples,
                                        sequenceFilter: try #require(SequenceFilter(name: reference.seqFilter)),
                                        normalization: try #require(ActivationNormalization(rawValue: reference.normalize)),
                                        batchSize: 3)
        let model = try TransformerModel(store: try Fixtures.store(item.model), source: item.model)
        let dataset = try EvalDataset.read(Fixtures.path(item.data))
        var captured: [String: ActivationMatrix] = [:]
        var order: [String] = []
        try ActivationCapture.capture(model: model, dataset: dataset, source: item.model, options: options) {
            captured[$0.name] = $0
            order.append($0.name)
        }
        var worst: Float = 0
        for name in reference.names {
            let expected = try Fixtures.floats(item.fixture, name)
            let mine = try #require(captured[name], "module \(name) not captured")
            #expect([mine.rows, mine.width] == expected.shape, "\(name)")
            guard [mine.rows, mine.width] == expected.shape else { continue }
            let error = maxAbsDifference(mine.values, expected.values)
            worst = max(worst, error)
            #expect(error < 1e-4, "\(name): max |Δ| = \(error)")
        }
        print("activations \(item.fixture): \(reference.names.count) modules, max |Δ| = \(worst)")
        // Every module the hooks recorded is captured (BERT MLM adds the transform dense).
        #expect(Set(reference.names).isSubset(of: Set(order)))
    }

    @Test("the activations file round-trips and is written in model order")
    func fileRoundTrip() throws {
        let model = try TransformerModel(store: try Fixtures.store("vit"), source: "vit")
        let dataset = try EvalDataset.read(Fixtures.path("vit_data.h5"))
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("acts-\(UUID().uuidString).h5").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let options = ActivationOptions(numSamples: 5, sequenceFilter: .window(2), normalization: .standardize)
        let names = try ActivationFile.write(model: model, dataset: dataset, source: "vit", options: options, to: output)
        let (header, modules) = try ActivationFile.read(output)
        #expect(modules.map(\.name) == names)
        #expect(names.first == "embeddings.patch_embeddings" && names.last == "classifier")
        #expect(header.numSamples == 5 && header.sequenceFilter == "window_2" && header.normalization == "standardize")
        let layer = try #require(modules.first { $0.name == "encoder.layer.1.intermediate.dense" })
        #expect(layer.rows == 5 * 5 && layer.width == 64)
        // Standardised columns: mean 0, unbiased std 1 (up to the 1e-9 guard).
        for c in 0..<layer.width {
            let column = (0..<layer.rows).map { Double(layer.values[$0 * layer.width + c]) }
            let mean = column.reduce(0, +) / Double(column.count)
            let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(column.count - 1)
            #expect(abs(mean) < 1e-5 && abs(variance - 1) < 1e-4)
        }
    }

    @Test("filters and normalisations that cannot apply are refused")
    func refusals() throws {
        let vit = try TransformerModel(store: try Fixtures.store("vit"), source: "vit")
        let bert = try TransformerModel(store: try Fixtures.store("bert_cls"), source: "bert_cls")
        let images = try EvalDataset.read(Fixtures.path("vit_data.h5"))
        let tokens = try EvalDataset.read(Fixtures.path("bert_cls_data.h5"))
        #expect(throws: InferenceError.self) {
            try ActivationCapture.capture(model: vit, dataset: images, source: "vit",
                                          options: ActivationOptions(numSamples: 2, sequenceFilter: .window(5))) { _ in }
        }
        #expect(throws: InferenceError.self) {
            try ActivationCapture.capture(model: bert, dataset: tokens, source: "bert",
                                          options: ActivationOptions(numSamples: 2, sequenceFilter: .window(2))) { _ in }
        }
        // One class token per sample and one sample: the unbiased std is undefined.
        #expect(throws: InferenceError.self) {
            try ActivationCapture.capture(model: vit, dataset: images, source: "vit",
                                          options: ActivationOptions(numSamples: 1, sequenceFilter: .onlyClassToken)) { _ in }
        }
        #expect(SequenceFilter(name: "window_6") == .window(6))
        #expect(SequenceFilter(name: "window_") == nil && SequenceFilter(name: "cls") == nil)
    }
}

extension ActivationFile {
    /// The capture settings and dataset names of a fixture written by h5py (no `format` attribute).
    static func readAnyAttributes(_ path: String) throws -> (numSamples: Int, seqFilter: String, normalize: String, names: [String]) {
        let file = try HDF5Kit.HDF5File.openReadOnly(path)
        let root = try file.root()
        return (try root.readInt(attribute: "num_samples"), try root.readString(attribute: "seq_filter"),
                try root.readString(attribute: "normalize"), try root.links().links.map(\.name))
    }
}
